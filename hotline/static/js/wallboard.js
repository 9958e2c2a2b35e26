// The supervisor's wallboard: live figures over Socket.IO (every event is a hint to fetch the fragment
// again), timers ticking in the browser, alerts to the supervisor on call, and listen / coach / barge
// (on a SIP line in this browser: wallboard-softphone.js).
(() => {
  "use strict";

  const root = document.getElementById("wallboard");
  if (!root || typeof window.io !== "function") return;
  const { strings } = JSON.parse(document.getElementById("wallboard-config").textContent);
  const clockOffset = Date.parse(root.dataset.serverNow) - Date.now();
  const http = window.hotlineHttp;

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
    for (const element of root.querySelectorAll("[data-since]")) {
      element.textContent = format((now - Date.parse(element.dataset.since)) / 1000);
    }
  };
  setInterval(tick, 1000);
  tick();

  let timer = null;
  const refresh = () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      try {
        document.getElementById("wall-board").innerHTML = await http.text("/wallboard/fragment");
        tick();
      } catch {
        // The next event or the reconnect fetches again.
      }
    }, 150);
  };

  const status = (text) => {
    document.getElementById("wall-monitor-status").textContent = text;
  };

  root.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-monitor]");
    if (!button) return;
    // On a SIP line this browser's softphone is made ready first: the line rings it at once.
    const phone = window.HotlineWallboardPhone;
    if (phone && !(await phone.expect(button.dataset.monitor).catch(() => false))) {
      status(strings.failed);
      return;
    }
    try {
      const answer = await http.json("POST", `/wallboard/calls/${button.dataset.call}/monitor`, {
        mode: button.dataset.monitor,
      });
      if (answer.rings !== "browser") phone?.cancel();
      status(phone && answer.rings === "browser" ? strings.joiningHere : strings.joining);
    } catch (error) {
      phone?.cancel();
      status(error.message || strings.failed);
    }
  });

  const socket = window.io({ transports: ["websocket", "polling"] });
  const connection = document.getElementById("wall-connection");
  socket.on("connect", () => {
    connection.textContent = strings.online;
    refresh();
  });
  socket.on("disconnect", () => {
    connection.textContent = strings.offline;
  });
  for (const name of ["board.changed", "presence.updated", "call.updated", "callbacks.changed", "rota.changed"]) {
    socket.on(name, refresh);
  }
  socket.on("wallboard.alert", () => {
    refresh();
    if (window.Notification?.permission === "granted") new Notification(strings.alert);
  });
})();
