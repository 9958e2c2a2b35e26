// The caller simulator page: dial, press keys, talk, reply by SMS (no inline script: the CSP forbids it).
(() => {
  const page = document.getElementById("simulator");
  const urls = page.dataset;
  const text = JSON.parse(document.getElementById("simulator-text").textContent);
  const token = document.querySelector('meta[name="csrf-token"]').content;
  let sid = null;
  const post = (url, data) =>
    fetch(url, { method: "POST", headers: { "X-CSRFToken": token }, body: new URLSearchParams(data || {}) }).then((r) => r.json());
  const list = (id, items, render) => {
    const node = document.getElementById(id);
    node.replaceChildren(...items.map((item) => { const li = document.createElement("li"); li.textContent = render(item); return li; }));
  };
  document.getElementById("dial-form").addEventListener("submit", (event) => {
    event.preventDefault();
    post(urls.dial, { from: document.getElementById("from").value }).then((body) => { sid = body.call_sid; });
  });
  document.querySelectorAll(".key").forEach((button) =>
    button.addEventListener("click", () => sid && post(`${urls.caller}/calls/${sid}/press`, { digits: button.dataset.key })));
  document.getElementById("silent").addEventListener("click", () => sid && post(`${urls.caller}/calls/${sid}/press`, { digits: "" }));
  document.getElementById("hangup").addEventListener("click", () => sid && post(`${urls.caller}/calls/${sid}/hangup`));
  document.getElementById("say-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const field = document.getElementById("say-text");
    if (sid && field.value) post(`${urls.caller}/calls/${sid}/say`, { text: field.value }).then(() => { field.value = ""; });
  });
  document.getElementById("sms-form").addEventListener("submit", (event) => {
    event.preventDefault();
    post(urls.sms, { from: document.getElementById("sms-from").value, body: document.getElementById("sms-body").value })
      .then((body) => { document.getElementById("sms-replies").textContent = (body.replies || []).join(" / ") || (body.error ? body.error.message : ""); });
  });
  const callUrl = (phone) => `${urls.caller}/calls/${phone}`;
  const button = (label, onClick) => {
    const node = document.createElement("button");
    node.type = "button"; node.textContent = label; node.addEventListener("click", onClick);
    return node;
  };
  let shownPhones = "";
  const renderPhones = (phones) => {
    const seen = JSON.stringify(phones);
    if (seen === shownPhones) return; // keep keys being typed
    shownPhones = seen;
    document.getElementById("phones").replaceChildren(...phones.map((phone) => {
      const li = document.createElement("li");
      const heard = phone.transcript.filter((line) => ["say", "play", "conference", "conference-left"].includes(line.kind)).slice(-2);
      li.append(document.createTextNode(`${phone.to} · ${phone.status}${phone.in_conference ? ` · ${text.inConference}` : ""}`));
      heard.forEach((line) => { const p = document.createElement("p"); p.className = "hint"; p.textContent = `${line.kind}: ${line.text}`; li.append(p); });
      if (phone.live) {
        if (phone.waiting_for_keys) {
          const keys = document.createElement("input");
          keys.size = 4; keys.setAttribute("aria-label", text.keys);
          li.append(keys, button(text.press, () => post(`${callUrl(phone.call_sid)}/press`, { digits: keys.value })));
        }
        li.append(button(text.hangUp, () => post(`${callUrl(phone.call_sid)}/hangup`)));
      }
      return li;
    }));
  };
  const refreshMessages = () => fetch(urls.messages).then((r) => r.json()).then((body) => {
    list("outbound", body.outbound, (item) => `${item.kind} → ${item.to}: ${item.body}`);
    renderPhones(body.phones || []);
  });
  setInterval(refreshMessages, 2000);
  refreshMessages();
  const refresh = () => {
    if (!sid) return;
    fetch(`${urls.caller}/calls/${sid}`).then((r) => r.json()).then((state) => {
      if (state.error) return;
      const keys = state.waiting_for_keys ? text.waitingForKeys : "";
      document.getElementById("status").textContent =
        `${state.status} ${state.in_queue ? text.inQueue : ""} ${state.bridged ? text.talking : ""} ${keys}`;
      list("transcript", state.transcript, (line) => `${line.at}s ${line.kind}: ${line.text}`);
      list("conversation", state.conversation, (line) => `${line.sender}: ${line.text}`);
    });
  };
  setInterval(refresh, 1000);
})();
