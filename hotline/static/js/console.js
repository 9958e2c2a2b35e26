// The duty worker's console: live board, my status, incoming offers (ring, flashing title, badge,
// notification, Enter to accept and Escape to decline), Socket.IO. No build step. Events from the
// server are hints: on each one the page fetches fresh fragments.
(() => {
  "use strict";

  const config = JSON.parse(document.getElementById("console-config").textContent);
  const S = config.strings;
  const clockOffset = config.serverNow ? Date.parse(config.serverNow) - Date.now() : 0;
  const { json: api, text } = window.hotlineHttp;

  const flash = (message, kind) => {
    let box = document.getElementById("console-flash");
    if (!box) {
      box = document.createElement("p");
      box.id = "console-flash";
      box.setAttribute("role", "status");
      document.querySelector("main").prepend(box);
    }
    box.className = `flash ${kind || ""}`;
    box.textContent = message;
  };

  // A text with every run of white space (new lines from the template) made one space.
  const clean = (value) => (value || "").replace(/\s+/g, " ").trim();

  /* Fragments ------------------------------------------------------------------------------ */
  let refreshTimer = null;
  const swap = async (id, url) => {
    const element = document.getElementById(id);
    if (!element) return;
    try {
      element.innerHTML = await text(url);
    } catch {
      // The next event or the reconnect fetches again.
    }
  };
  const refresh = async () => {
    await Promise.all([
      swap("console-status", "/console/fragments/status"),
      swap("console-board", "/console/fragments/board"),
      refreshLine(),
    ]);
    afterRender();
  };
  // The current call's line panel (timer, hold, mute, who is on the line), replaced as a whole.
  const refreshLine = async () => {
    const panel = document.getElementById("call-line");
    if (!panel) return;
    try {
      const fresh = new DOMParser().parseFromString(await text(`/console/calls/${panel.dataset.callId}/fragments/line`), "text/html");
      const replacement = fresh.getElementById("call-line");
      if (replacement) document.getElementById("call-line")?.replaceWith(replacement);
    } catch {
      // The next event or the reconnect fetches again.
    }
  };
  const refreshSoon = () => {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(refresh, 150);
  };

  /* Timers --------------------------------------------------------------------------------- */
  const format = (seconds) => {
    const total = Math.max(0, Math.floor(seconds));
    const h = Math.floor(total / 3600);
    const m = Math.floor((total % 3600) / 60);
    const s = total % 60;
    const mm = `${h ? String(m).padStart(2, "0") : m}:${String(s).padStart(2, "0")}`;
    return h ? `${h}:${mm}` : mm;
  };
  const tick = () => {
    const now = Date.now() + clockOffset;
    for (const element of document.querySelectorAll("[data-since]")) {
      const end = element.dataset.untilFixed ? Date.parse(element.dataset.untilFixed) : now;
      element.textContent = format((end - Date.parse(element.dataset.since)) / 1000);
    }
    for (const element of document.querySelectorAll("[data-until]")) {
      element.textContent = format((Date.parse(element.dataset.until) - now) / 1000);
    }
  };
  setInterval(tick, 1000);

  /* Ring, flashing title, badge and notification -------------------------------------------- */
  let audio = null;
  let ringTimer = null;
  let notifiedOffer = null;
  const pageTitle = document.title;
  const beep = () => {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      for (const start of [0, 0.25]) {
        const oscillator = audio.createOscillator();
        const gain = audio.createGain();
        oscillator.frequency.value = 880;
        gain.gain.value = 0.15;
        oscillator.connect(gain).connect(audio.destination);
        oscillator.start(audio.currentTime + start);
        oscillator.stop(audio.currentTime + start + 0.18);
      }
    } catch {
      // No sound available: the offer is still on screen.
    }
  };
  const notify = (title, body, tag) => {
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    try {
      new Notification(title, { body: clean(body), tag });
    } catch {
      // Some browsers only notify from a service worker.
    }
  };
  const showBadge = (count) => {
    const badge = document.getElementById("offer-badge");
    if (badge) {
      badge.hidden = count === 0;
      badge.textContent = String(count);
    }
    if (count && navigator.setAppBadge) navigator.setAppBadge(count).catch(() => {});
    if (!count && navigator.clearAppBadge) navigator.clearAppBadge().catch(() => {});
  };
  let flashOn = false;
  const ring = () => {
    beep();
    flashOn = !flashOn;
    document.title = flashOn ? `(1) ${S.incoming} · ${pageTitle}` : `(1) ${pageTitle}`;
  };
  const stopRinging = () => {
    clearInterval(ringTimer);
    ringTimer = null;
    document.title = pageTitle;
    showBadge(0);
  };
  const afterRender = () => {
    tick();
    const offer = document.getElementById("offer");
    if (offer && !ringTimer) {
      ring();
      ringTimer = setInterval(ring, 1000);
      showBadge(1);
    }
    if (!offer && ringTimer) stopRinging();
    // A refreshed fragment is a new button: keep the focus on Accept unless the worker is elsewhere.
    const acceptButton = offer?.querySelector("[data-accept]");
    const focus = document.activeElement;
    if (acceptButton && (!focus || focus === document.body || notifiedOffer !== offer.dataset.offerId)) {
      if (!focus?.matches("input, textarea, select")) acceptButton.focus();
    }
    if (offer && notifiedOffer !== offer.dataset.offerId) {
      notifiedOffer = offer.dataset.offerId;
      notify(S.incoming, offer.querySelector(".offer-caller").textContent, `offer-${notifiedOffer}`);
    }
    document.dispatchEvent(new CustomEvent("hotline:rendered"));
  };
  const enable = document.getElementById("enable-notifications");
  if (enable && "Notification" in window && Notification.permission === "default") {
    enable.hidden = false;
    enable.addEventListener("click", () => {
      Notification.requestPermission();
      beep();
      enable.hidden = true;
    });
  }

  /* Actions -------------------------------------------------------------------------------- */
  const openCall = (url) => {
    if (window.HotlineSoftNav && config.softphone) return window.HotlineSoftNav.go(url);
    window.location.href = url;
  };
  const post = async (url, body) => {
    try {
      return await api("POST", url, body);
    } catch (error) {
      flash(error.message, "error");
      return null;
    }
  };
  const accept = async (button) => {
    button.disabled = true;
    stopRinging();
    try {
      const data = await api("POST", `/api/v1/routing/offers/${button.dataset.accept}/accept`);
      openCall(data.url);
    } catch (error) {
      flash(error.message, "error");
      refresh();
    }
  };
  const decline = async (button) => {
    button.disabled = true;
    stopRinging();
    await post(`/api/v1/routing/offers/${button.dataset.decline}/decline`);
    refresh();
  };
  document.addEventListener("click", async (event) => {
    const target = event.target.closest("[data-set-state], [data-accept], [data-decline]");
    if (!target) return;
    event.preventDefault();
    if (target.dataset.setState) {
      // Going available in the browser: the softphone first checks the microphone and registers.
      const phone = window.HotlineSoftphone;
      if (target.dataset.setState === "available" && phone && !(await phone.beforeAvailable())) return;
      await post("/api/v1/routing/presence", { state: target.dataset.setState });
      refresh();
    } else if (target.dataset.accept) {
      accept(target);
    } else if (target.dataset.decline) {
      decline(target);
    }
  });
  // While an offer rings, Enter accepts and Escape declines, unless the worker is typing somewhere.
  document.addEventListener("keydown", (event) => {
    const offer = document.getElementById("offer");
    if (!offer || event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.target.closest?.("textarea, select, input:not([type=radio]):not([type=checkbox])")) return;
    const button = offer.querySelector(event.key === "Enter" ? "[data-accept]" : "[data-decline]");
    if ((event.key === "Enter" || event.key === "Escape") && button && !button.disabled) {
      event.preventDefault();
      (event.key === "Enter" ? accept : decline)(button);
    }
  });
  document.addEventListener("change", async (event) => {
    const target = event.target;
    if (target.matches("select[data-set-state-for]")) {
      await post(`/api/v1/routing/presence/${target.dataset.setStateFor}`, { state: target.value });
      refresh();
    } else if (target.matches('input[name="connect_via"]')) {
      await post("/api/v1/routing/connect-via", { connect_via: target.value });
      refresh();
    }
  });

  /* Socket.IO ------------------------------------------------------------------------------ */
  const connection = document.getElementById("connection");
  const socket = window.io ? window.io({ transports: ["polling", "websocket"] }) : null;
  const showConnection = (online) => {
    if (!connection) return;
    connection.textContent = online ? S.online : S.offline;
    connection.className = `connection ${online ? "online" : "offline"}`;
  };
  if (socket) {
    socket.on("connect", () => {
      showConnection(true);
      refresh();
      document.dispatchEvent(new CustomEvent("hotline:online"));
    });
    socket.on("disconnect", () => showConnection(false));
    socket.on("connect_error", () => showConnection(false));
    for (const name of ["board.changed", "presence.updated", "offer.closed", "call.updated", "referral.updated"]) {
      socket.on(name, refreshSoon);
    }
    socket.on("offer.new", () => refreshSoon());
    socket.on("call.line", (payload) => {
      if (String(config.callId) === String(payload.call_id)) refreshLine().then(tick);
    });
    socket.on("call.assigned", (payload) => {
      if (String(config.callId) !== String(payload.call_id)) openCall(payload.url);
    });
    socket.on("transfer.failed", () => {
      flash(S.transferFailed, "error");
      refreshSoon();
    });
    socket.on("risk.alert", (payload) => {
      const line = `${payload.worker} · ${payload.caller}`;
      flash(S.riskAlertLine.replace("%(detail)s", () => line), "error");
      notify(S.riskAlert, line, `risk-${payload.call_id}`);
      beep();
      refreshSoon();
    });
    socket.on("chat.line", (payload) => {
      document.dispatchEvent(new CustomEvent("hotline:chat", { detail: payload }));
    });
    setInterval(() => {
      if (socket.connected) socket.emit("console.heartbeat");
    }, 15000);
  }
  window.addEventListener("offline", () => showConnection(false));

  window.HotlineConsole = { config, api, flash, refresh, refreshLine, afterRender };
  afterRender();
})();
