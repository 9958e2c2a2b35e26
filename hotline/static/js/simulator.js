// The caller simulator page: dial, press keys, talk, reply by SMS (no inline script: the CSP forbids it).
(() => {
  "use strict";

  const page = document.getElementById("simulator");
  const urls = page.dataset;
  const text = JSON.parse(document.getElementById("simulator-text").textContent);
  const { json } = window.hotlineHttp;
  let sid = null;

  const post = (url, data = {}) => json("POST", url, data).catch(() => null);
  // Codes from the gateway (a line's kind, a call's status, who spoke) shown as words; an unknown code as itself.
  const word = (table, code) => (text[table] && text[table][code]) || code;
  const line = (what, body) => (body ? text.line.replace("%(what)s", what).replace("%(text)s", body) : what);
  // A status line's text is the call's status (ringing, in-progress…): a code too.
  const describe = (entry) => line(word("kinds", entry.kind), entry.kind === "status" ? word("statuses", entry.text) : entry.text);
  const callUrl = (callSid) => `${urls.caller}/calls/${callSid}`;

  const list = (id, items, render) => {
    document.getElementById(id).replaceChildren(
      ...items.map((item) => {
        const li = document.createElement("li");
        li.textContent = render(item);
        return li;
      }),
    );
  };

  const button = (label, onClick) => {
    const node = document.createElement("button");
    node.type = "button";
    node.textContent = label;
    node.addEventListener("click", onClick);
    return node;
  };

  document.getElementById("dial-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const answer = await post(urls.dial, { from: document.getElementById("from").value });
    if (answer) sid = answer.call_sid;
  });
  for (const key of document.querySelectorAll(".key")) {
    key.addEventListener("click", () => sid && post(`${callUrl(sid)}/press`, { digits: key.dataset.key }));
  }
  document.getElementById("silent").addEventListener("click", () => sid && post(`${callUrl(sid)}/press`, { digits: "" }));
  document.getElementById("hangup").addEventListener("click", () => sid && post(`${callUrl(sid)}/hangup`));
  document.getElementById("say-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const field = document.getElementById("say-text");
    if (!sid || !field.value) return;
    await post(`${callUrl(sid)}/say`, { text: field.value });
    field.value = "";
  });
  document.getElementById("sms-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const replies = document.getElementById("sms-replies");
    try {
      const answer = await json("POST", urls.sms, {
        from: document.getElementById("sms-from").value,
        body: document.getElementById("sms-body").value,
      });
      replies.textContent = (answer.replies || []).join(" / ");
    } catch (error) {
      replies.textContent = error.message;
    }
  });

  let shownPhones = "";
  const phoneItem = (phone) => {
    const li = document.createElement("li");
    const heard = phone.transcript
      .filter((line) => ["say", "play", "conference", "conference-left"].includes(line.kind))
      .slice(-2);
    const conference = phone.in_conference ? ` · ${text.inConference}` : "";
    li.append(document.createTextNode(`${phone.to} · ${word("statuses", phone.status)}${conference}`));
    for (const heardLine of heard) {
      const p = document.createElement("p");
      p.className = "hint";
      p.textContent = describe(heardLine);
      li.append(p);
    }
    if (phone.live) {
      if (phone.waiting_for_keys) {
        const keys = document.createElement("input");
        keys.size = 4;
        keys.setAttribute("aria-label", text.keys);
        li.append(keys, button(text.press, () => post(`${callUrl(phone.call_sid)}/press`, { digits: keys.value })));
      }
      li.append(button(text.hangUp, () => post(`${callUrl(phone.call_sid)}/hangup`)));
    }
    return li;
  };
  const renderPhones = (phones) => {
    const seen = JSON.stringify(phones);
    if (seen === shownPhones) return; // keep keys being typed
    shownPhones = seen;
    document.getElementById("phones").replaceChildren(...phones.map(phoneItem));
  };

  const refreshMessages = async () => {
    const body = await json("GET", urls.messages).catch(() => null);
    if (!body) return;
    list("outbound", body.outbound, (item) => line(`${word("outbound", item.kind)} → ${item.to}`, item.body));
    renderPhones(body.phones || []);
  };
  setInterval(refreshMessages, 2000);
  refreshMessages();

  // A recorded prompt (<Play> of the app's own audio) gets a player; the list is rebuilt only when it changed,
  // so a player keeps playing across refreshes.
  let shownTranscript = "";
  const renderTranscript = (lines) => {
    const seen = JSON.stringify(lines);
    if (seen === shownTranscript) return;
    shownTranscript = seen;
    document.getElementById("transcript").replaceChildren(
      ...lines.map((entry) => {
        const li = document.createElement("li");
        li.textContent = `${entry.at}s ${describe(entry)}`;
        if (entry.audio) {
          const player = document.createElement("audio");
          player.controls = true;
          player.preload = "none";
          player.src = entry.audio;
          li.append(" ", player);
        }
        return li;
      }),
    );
  };

  const refresh = async () => {
    if (!sid) return;
    const state = await json("GET", callUrl(sid)).catch(() => null);
    if (!state) return;
    const keys = state.waiting_for_keys ? text.waitingForKeys : "";
    document.getElementById("status").textContent =
      `${word("statuses", state.status)} ${state.in_queue ? text.inQueue : ""} ${state.bridged ? text.talking : ""} ${keys}`;
    renderTranscript(state.transcript);
    list("conversation", state.conversation, (said) => line(word("senders", said.sender), said.text));
  };
  setInterval(refresh, 1000);
})();
