// The callback queue and a callback's page, kept live: the queue reloads when a task opens, is
// taken or closes; a callback's page shows how the dial ended as soon as the line reports it.
(() => {
  "use strict";

  if (typeof window.io !== "function") return;
  const socket = window.io({ transports: ["websocket", "polling"] });
  const taskPage = document.getElementById("callback-task");

  // Reload unless the worker is typing a note: what they typed must not be lost.
  const reloadIfIdle = () => {
    const note = document.querySelector('#outcome-form textarea[name="note"]');
    if (note && note.value.trim()) return;
    window.location.reload();
  };

  if (taskPage) {
    const taskId = Number(taskPage.dataset.taskId);
    socket.on("callback.dialled", (payload) => {
      if (payload?.task_id === taskId) reloadIfIdle();
    });
  } else {
    socket.on("callbacks.changed", () => reloadIfIdle());
  }
})();
