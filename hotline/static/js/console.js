/* The duty worker's console: live board, my status, incoming offers (ring + notification), Socket.IO.
   No build step. Events from the server are hints: on each one the page fetches fresh fragments. */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("console-config").textContent);
  var S = config.strings;
  var clockOffset = config.serverNow ? Date.parse(config.serverNow) - Date.now() : 0;

  var api = window.hotlineHttp.json;

  function flash(message, kind) {
    var box = document.getElementById("console-flash");
    if (!box) {
      box = document.createElement("p");
      box.id = "console-flash";
      box.setAttribute("role", "status");
      document.querySelector("main").prepend(box);
    }
    box.className = "flash " + (kind || "");
    box.textContent = message;
  }

  /* Fragments ------------------------------------------------------------------------------ */
  var refreshTimer = null;
  function refreshSoon() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(refresh, 150);
  }
  function swap(id, url) {
    var element = document.getElementById(id);
    if (!element) return Promise.resolve();
    return window.hotlineHttp.text(url).then(function (html) { element.innerHTML = html; }, function () {});
  }
  function refresh() {
    return Promise.all([
      swap("console-status", "/console/fragments/status"),
      swap("console-board", "/console/fragments/board"),
    ]).then(afterRender);
  }

  /* Timers --------------------------------------------------------------------------------- */
  function format(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    var mm = (h ? String(m).padStart(2, "0") : String(m)) + ":" + String(s).padStart(2, "0");
    return h ? h + ":" + mm : mm;
  }
  function tick() {
    var now = Date.now() + clockOffset;
    document.querySelectorAll("[data-since]").forEach(function (el) {
      var end = el.dataset.untilFixed ? Date.parse(el.dataset.untilFixed) : now;
      el.textContent = format((end - Date.parse(el.dataset.since)) / 1000);
    });
    document.querySelectorAll("[data-until]").forEach(function (el) {
      el.textContent = format((Date.parse(el.dataset.until) - now) / 1000);
    });
  }
  setInterval(tick, 1000);

  /* Ring and notification ------------------------------------------------------------------- */
  var audio = null, ringTimer = null, notifiedOffer = null;
  function beep() {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      [0, 0.25].forEach(function (start) {
        var oscillator = audio.createOscillator(), gain = audio.createGain();
        oscillator.frequency.value = 880;
        gain.gain.value = 0.15;
        oscillator.connect(gain).connect(audio.destination);
        oscillator.start(audio.currentTime + start);
        oscillator.stop(audio.currentTime + start + 0.18);
      });
    } catch (e) { /* no sound available: the offer is still on screen */ }
  }
  function notify(title, body, tag) {
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    try { new Notification(title, { body: body, tag: tag }); } catch (e) { /* some browsers only notify from a service worker */ }
  }
  function afterRender() {
    tick();
    var offer = document.getElementById("offer");
    if (offer && !ringTimer) {
      beep();
      ringTimer = setInterval(beep, 2000);
    }
    if (!offer && ringTimer) {
      clearInterval(ringTimer);
      ringTimer = null;
    }
    if (offer && notifiedOffer !== offer.dataset.offerId) {
      notifiedOffer = offer.dataset.offerId;
      notify(S.incoming, offer.querySelector(".offer-caller").textContent.trim(), "offer-" + notifiedOffer);
    }
    document.dispatchEvent(new CustomEvent("hotline:rendered"));
  }
  var enable = document.getElementById("enable-notifications");
  if (enable && "Notification" in window && Notification.permission === "default") {
    enable.hidden = false;
    enable.addEventListener("click", function () {
      Notification.requestPermission();
      beep();
      enable.hidden = true;
    });
  }

  /* Actions -------------------------------------------------------------------------------- */
  function openCall(url) {
    if (window.HotlineSoftNav && config.softphone) return window.HotlineSoftNav.go(url);
    window.location.href = url;
  }
  document.addEventListener("click", function (event) {
    var target = event.target.closest("[data-set-state], [data-accept], [data-decline]");
    if (!target) return;
    event.preventDefault();
    if (target.dataset.setState) {
      api("POST", "/api/v1/routing/presence", { state: target.dataset.setState })
        .catch(function (error) { flash(error.message, "error"); })
        .then(refresh);
    } else if (target.dataset.accept) {
      target.disabled = true;
      api("POST", "/api/v1/routing/offers/" + target.dataset.accept + "/accept")
        .then(function (data) { openCall(data.url); })
        .catch(function (error) { flash(error.message, "error"); refresh(); });
    } else if (target.dataset.decline) {
      api("POST", "/api/v1/routing/offers/" + target.dataset.decline + "/decline")
        .catch(function (error) { flash(error.message, "error"); })
        .then(refresh);
    }
  });
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches("select[data-set-state-for]")) {
      api("POST", "/api/v1/routing/presence/" + target.dataset.setStateFor, { state: target.value })
        .catch(function (error) { flash(error.message, "error"); })
        .then(refresh);
    } else if (target.matches('input[name="connect_via"]')) {
      api("POST", "/api/v1/routing/connect-via", { connect_via: target.value })
        .catch(function (error) { flash(error.message, "error"); })
        .then(refresh);
    }
  });

  /* Socket.IO ------------------------------------------------------------------------------ */
  var connection = document.getElementById("connection");
  var socket = window.io ? window.io({ transports: ["polling", "websocket"] }) : null;
  function showConnection(online) {
    if (!connection) return;
    connection.textContent = online ? S.online : S.offline;
    connection.className = "connection " + (online ? "online" : "offline");
  }
  if (socket) {
    socket.on("connect", function () { showConnection(true); refresh(); document.dispatchEvent(new CustomEvent("hotline:online")); });
    socket.on("disconnect", function () { showConnection(false); });
    socket.on("connect_error", function () { showConnection(false); });
    ["board.changed", "presence.updated", "offer.closed", "call.updated", "referral.updated"].forEach(function (name) {
      socket.on(name, refreshSoon);
    });
    socket.on("offer.new", function (payload) {
      refreshSoon();
      notify(S.incoming, payload.caller + (payload.city ? " · " + payload.city : ""), "offer-" + payload.offer_id);
    });
    socket.on("call.assigned", function (payload) {
      if (String(config.callId) !== String(payload.call_id)) openCall(payload.url);
    });
    socket.on("transfer.failed", function () { flash(S.transferFailed, "error"); refreshSoon(); });
    socket.on("risk.alert", function (payload) {
      flash(S.riskAlert + ": " + payload.worker + " · " + payload.caller, "error");
      notify(S.riskAlert, payload.worker + " · " + payload.caller, "risk-" + payload.call_id);
      beep();
      refreshSoon();
    });
    socket.on("chat.line", function (payload) {
      document.dispatchEvent(new CustomEvent("hotline:chat", { detail: payload }));
    });
    setInterval(function () { if (socket.connected) socket.emit("console.heartbeat"); }, 15000);
  }
  window.addEventListener("offline", function () { showConnection(false); });

  window.HotlineConsole = { config: config, api: api, flash: flash, refresh: refresh, afterRender: afterRender };
  afterRender();
})();
