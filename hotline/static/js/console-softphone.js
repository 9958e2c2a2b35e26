/* Connecting the worker to the caller: the Twilio Voice JS SDK in the browser, or, in simulator mode,
   a text channel with the simulated caller. Also keeps the page (and the call's audio) alive while
   the worker moves between the board and the current call, by loading pages without leaving this one. */
(function () {
  "use strict";
  var C = window.HotlineConsole;
  var S = C.config.strings;
  var statusBox = document.getElementById("softphone-status");
  function show(text, ok) { if (statusBox) { statusBox.textContent = text; statusBox.className = "softphone-status " + (ok ? "online" : "offline"); } }

  /* Simulator: the conversation is typed. ---------------------------------------------------- */
  function initChat() {
    var box = document.querySelector("[data-chat-call]");
    if (!box || box.dataset.ready) return;
    box.dataset.ready = "1";
    var callId = box.dataset.chatCall, list = document.getElementById("chat-lines");
    function load() {
      return C.api("GET", "/api/v1/console/calls/" + callId + "/chat").then(function (data) {
        list.innerHTML = "";
        data.lines.forEach(function (line) {
          var item = document.createElement("li");
          item.className = "from-" + line.sender;
          item.textContent = line.body;
          list.appendChild(item);
        });
      }).catch(function () {});
    }
    document.getElementById("chat-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var input = document.getElementById("chat-input");
      if (!input.value.trim()) return;
      C.api("POST", "/api/v1/console/calls/" + callId + "/chat", { body: input.value }).then(function () { input.value = ""; load(); });
    });
    document.addEventListener("hotline:chat", load);
    setInterval(load, 4000);
  }

  /* Browser softphone -------------------------------------------------------------------------- */
  var device = null;
  function token() { return C.api("GET", "/api/v1/console/softphone/token"); }
  function initDevice() {
    if (!C.config.softphone || !window.Twilio || !window.Twilio.Device) return;
    token().then(function (data) {
      if (data.mode !== "twilio") return;
      device = new window.Twilio.Device(data.token, { closeProtection: true, codecPreferences: ["opus", "pcmu"] });
      device.on("registered", function () { show(S.softphoneReady, true); });
      device.on("error", function (error) { show(S.softphoneError + ": " + error.message, false); });
      device.on("tokenWillExpire", function () { token().then(function (fresh) { device.updateToken(fresh.token); }); });
      device.on("incoming", function (call) {
        // The worker accepted the offer in the console: this is that call (or a warm transfer's conference).
        call.accept();
        call.on("disconnect", function () { C.refresh(); });
      });
      device.register();
    }).catch(function (error) { show(S.softphoneError + ": " + error.message, false); });
  }

  /* Moving between console pages without dropping the call's audio ---------------------------------- */
  function replaceMain(html, url) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var main = doc.querySelector("main");
    if (!main) { window.location.href = url; return; }
    document.querySelector("main").innerHTML = main.innerHTML;
    if (url && url !== window.location.href) history.pushState({}, "", url);
    var match = /\/console\/calls\/(\d+)/.exec(new URL(url || window.location.href).pathname);
    C.config.callId = match ? Number(match[1]) : null;
    if (window.HotlineIntake) window.HotlineIntake.init();
    initChat();
    C.afterRender();
  }
  function go(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (r) { return r.text().then(function (t) { replaceMain(t, r.url); }); });
  }
  if (C.config.softphone) {
    document.addEventListener("submit", function (event) {
      var form = event.target;
      if (!form.closest("main") || (form.method || "").toLowerCase() !== "post" || !device) return;
      event.preventDefault();
      var body = new FormData(form);
      if (event.submitter && event.submitter.name) body.append(event.submitter.name, event.submitter.value);
      fetch(form.action, { method: "POST", body: body, credentials: "same-origin" })
        .then(function (r) { return r.text().then(function (t) { replaceMain(t, r.url); }); });
    });
    window.addEventListener("popstate", function () { go(window.location.href); });
    window.HotlineSoftNav = { go: go };
  }
  initChat();
  initDevice();
})();
