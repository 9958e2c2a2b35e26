// The simulator's worker page: accept a waiting simulated call and talk by text (no inline script: the CSP forbids it).
(() => {
  "use strict";

  const page = document.getElementById("simulator-worker");
  const { base, accept: acceptLabel } = page.dataset;
  const { json } = window.hotlineHttp;
  let current = null;

  const post = (url, data = {}) => json("POST", url, data).catch(() => null);

  const cell = (value) => {
    const td = document.createElement("td");
    td.textContent = value;
    return td;
  };

  const waitingRow = (call) => {
    const row = document.createElement("tr");
    row.append(cell(call.caller), cell(call.service), cell(call.priority));
    const button = document.createElement("button");
    button.textContent = acceptLabel;
    button.className = "accept";
    button.addEventListener("click", () => post(`${base}/accept/${call.call_sid}`));
    const td = document.createElement("td");
    td.append(button);
    row.append(td);
    return row;
  };

  const refresh = async () => {
    const state = await json("GET", `${base}/state`).catch(() => null);
    if (!state) return;
    current = state.current;
    document.getElementById("current").textContent = current || "—";
    document.getElementById("waiting").replaceChildren(...state.waiting.map(waitingRow));
    document.getElementById("conversation").replaceChildren(
      ...state.conversation.map((line) => {
        const li = document.createElement("li");
        li.textContent = `${line.sender}: ${line.text}`;
        return li;
      }),
    );
  };

  document.getElementById("say-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const field = document.getElementById("say-text");
    if (!current || !field.value) return;
    await post(`${base}/calls/${current}/say`, { text: field.value });
    field.value = "";
  });
  document.getElementById("hangup").addEventListener("click", () => current && post(`${base}/calls/${current}/hangup`));
  setInterval(refresh, 1000);
  refresh();
})();
