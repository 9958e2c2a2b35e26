// The current call's controls: hold and mute (through the line's conference), hang-up, and their
// keys (H, M, X; with Alt while typing in a field). No build step.
(() => {
  "use strict";

  const C = window.HotlineConsole;
  const KEYS = { KeyH: "#hold-call", KeyM: "#mute-call", KeyX: "#hang-up" };
  let busy = false;

  const toggle = async (button) => {
    if (busy) return;
    busy = true;
    button.disabled = true;
    const name = button.dataset.line;
    const panel = document.getElementById("call-line");
    const wanted = button.getAttribute("aria-pressed") !== "true";
    try {
      await C.api("POST", `/api/v1/console/calls/${panel.dataset.callId}/${name === "hold" ? "hold" : "mute"}`, {
        [name]: wanted,
      });
    } catch (error) {
      C.flash(error.message, "error");
    } finally {
      busy = false;
      await C.refreshLine();
      C.afterRender();
    }
  };

  document.addEventListener("click", (event) => {
    const button = event.target.closest("[data-line]");
    if (!button || !document.getElementById("call-line")?.contains(button)) return;
    event.preventDefault();
    toggle(button);
  });

  // H, M and X act on the call unless the worker is typing; with Alt they act from anywhere.
  document.addEventListener("keydown", (event) => {
    const selector = KEYS[event.code];
    if (!selector || event.defaultPrevented || event.ctrlKey || event.metaKey || event.repeat) return;
    const typing = event.target.closest?.("textarea, select, input, [contenteditable]");
    if (typing && !event.altKey) return;
    const button = document.querySelector(`#call-line ${selector}`);
    if (!button || button.disabled) return;
    event.preventDefault();
    if (button.dataset.line) toggle(button);
    else button.click();
  });
})();
