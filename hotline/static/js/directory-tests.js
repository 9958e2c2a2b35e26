// A directory entry's test SMS and test call, kept live: when the server pushes that the entry's
// test has news (a delivery receipt, the call's status), the page fetches the entry's test states
// and rewrites their lines. A push is a hint; the JSON is the truth. On reconnect it fetches too,
// so news that came while the socket was down is not missed.
(() => {
  "use strict";

  const box = document.getElementById("entry-tests");
  if (!box || typeof window.io !== "function") return;
  const target = box.dataset.target;

  const show = (id, test) => {
    if (!test) return;
    let line = document.getElementById(id);
    if (!line) {
      line = document.createElement("p");
      line.id = id;
      box.append(line);
    }
    line.textContent = test.text;
    line.dataset.state = test.state;
  };

  const refresh = async () => {
    try {
      const tests = await window.hotlineHttp.json("GET", box.dataset.url);
      show("test-sms-state", tests.sms);
      show("test-call-state", tests.call);
    } catch (error) {
      console.warn("could not read the entry's test states", error);
    }
  };

  const socket = window.io({ transports: ["websocket", "polling"] });
  socket.on("connect", () => {
    box.dataset.live = "1";
    refresh();
  });
  socket.on("directory.test_changed", (payload) => {
    if (payload?.target === target) refresh();
  });
})();
