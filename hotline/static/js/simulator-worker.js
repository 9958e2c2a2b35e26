// The simulator's worker page: accept a waiting simulated call and talk by text (no inline script: the CSP forbids it).
(() => {
  const page = document.getElementById("simulator-worker");
  const base = page.dataset.base;
  const acceptLabel = page.dataset.accept;
  const token = document.querySelector('meta[name="csrf-token"]').content;
  let current = null;
  const post = (url, data) =>
    fetch(url, { method: "POST", headers: { "X-CSRFToken": token }, body: new URLSearchParams(data || {}) }).then((r) => r.json());
  const refresh = () => fetch(`${base}/state`).then((r) => r.json()).then((state) => {
    current = state.current;
    document.getElementById("current").textContent = current || "—";
    document.getElementById("waiting").replaceChildren(...state.waiting.map((call) => {
      const row = document.createElement("tr");
      for (const value of [call.caller, call.service, call.priority]) { const td = document.createElement("td"); td.textContent = value; row.append(td); }
      const td = document.createElement("td");
      const button = document.createElement("button");
      button.textContent = acceptLabel;
      button.className = "accept";
      button.addEventListener("click", () => post(`${base}/accept/${call.call_sid}`));
      td.append(button);
      row.append(td);
      return row;
    }));
    document.getElementById("conversation").replaceChildren(...state.conversation.map((line) => {
      const li = document.createElement("li"); li.textContent = `${line.sender}: ${line.text}`; return li;
    }));
  });
  document.getElementById("say-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const field = document.getElementById("say-text");
    if (current && field.value) post(`${base}/calls/${current}/say`, { text: field.value }).then(() => { field.value = ""; });
  });
  document.getElementById("hangup").addEventListener("click", () => current && post(`${base}/calls/${current}/hangup`));
  setInterval(refresh, 1000);
  refresh();
})();
