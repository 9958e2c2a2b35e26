// Connecting the worker to the caller: the Twilio Voice JS SDK in the browser, or, in simulator mode,
// a text channel with the simulated caller. Also keeps the page (and the call's audio) alive while
// the worker moves between the board and the current call, by loading pages without leaving this one.
(() => {
  "use strict";

  const C = window.HotlineConsole;
  const S = C.config.strings;
  const statusBox = document.getElementById("softphone-status");
  const show = (text, ok) => {
    if (!statusBox) return;
    statusBox.textContent = text;
    statusBox.className = `softphone-status ${ok ? "online" : "offline"}`;
  };

  /* Simulator: the conversation is typed. ---------------------------------------------------- */
  const initChat = () => {
    const box = document.querySelector("[data-chat-call]");
    if (!box || box.dataset.ready) return;
    box.dataset.ready = "1";
    const callId = box.dataset.chatCall;
    const list = document.getElementById("chat-lines");
    const load = async () => {
      try {
        const data = await C.api("GET", `/api/v1/console/calls/${callId}/chat`);
        list.innerHTML = "";
        for (const line of data.lines) {
          const item = document.createElement("li");
          item.className = `from-${line.sender}`;
          item.textContent = line.body;
          list.appendChild(item);
        }
      } catch {
        // The next line or the next poll loads again.
      }
    };
    document.getElementById("chat-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const input = document.getElementById("chat-input");
      if (!input.value.trim()) return;
      await C.api("POST", `/api/v1/console/calls/${callId}/chat`, { body: input.value });
      input.value = "";
      load();
    });
    document.addEventListener("hotline:chat", load);
    setInterval(load, 4000);
  };

  /* Browser softphone -------------------------------------------------------------------------- */
  let device = null;
  const token = () => C.api("GET", "/api/v1/console/softphone/token");
  const initDevice = async () => {
    if (!C.config.softphone || !window.Twilio?.Device) return;
    try {
      const data = await token();
      if (data.mode !== "twilio") return;
      device = new window.Twilio.Device(data.token, { closeProtection: true, codecPreferences: ["opus", "pcmu"] });
      device.on("registered", () => show(S.softphoneReady, true));
      device.on("error", (error) => show(`${S.softphoneError}: ${error.message}`, false));
      device.on("tokenWillExpire", async () => device.updateToken((await token()).token));
      device.on("incoming", (call) => {
        // The worker accepted the offer in the console: this is that call (or a warm transfer's conference).
        call.accept();
        call.on("disconnect", () => C.refresh());
      });
      device.register();
    } catch (error) {
      show(`${S.softphoneError}: ${error.message}`, false);
    }
  };

  /* Moving between console pages without dropping the call's audio ---------------------------------- */
  const replaceMain = (html, url) => {
    const main = new DOMParser().parseFromString(html, "text/html").querySelector("main");
    if (!main) {
      window.location.href = url;
      return;
    }
    document.querySelector("main").innerHTML = main.innerHTML;
    if (url && url !== window.location.href) history.pushState({}, "", url);
    const match = /\/console\/calls\/(\d+)/.exec(new URL(url || window.location.href).pathname);
    C.config.callId = match ? Number(match[1]) : null;
    window.HotlineIntake?.init();
    initChat();
    C.afterRender();
  };
  const load = async (response) => replaceMain(await response.text(), response.url);
  const go = async (url) => load(await fetch(url, { credentials: "same-origin" }));
  if (C.config.softphone) {
    document.addEventListener("submit", async (event) => {
      const form = event.target;
      if (!form.closest("main") || (form.method || "").toLowerCase() !== "post" || !device) return;
      event.preventDefault();
      const body = new FormData(form);
      if (event.submitter?.name) body.append(event.submitter.name, event.submitter.value);
      load(await fetch(form.action, { method: "POST", body, credentials: "same-origin" }));
    });
    window.addEventListener("popstate", () => go(window.location.href));
    window.HotlineSoftNav = { go };
  }
  initChat();
  initDevice();
})();
