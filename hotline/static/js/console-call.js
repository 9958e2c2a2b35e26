// The current call's controls: hold and mute (through the line's conference), hang-up, and their
// keys (H, M, X; with Alt while typing in a field); the escalation form in a dialog. No build step.
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

  /* The escalation form in a dialog: fetched, posted by fetch, errors shown in place. -------------- */
  const dialog = () => document.getElementById("escalation-dialog");
  const showForm = (html) => {
    const body = document.getElementById("escalation-dialog-body");
    body.innerHTML = html;
    body.querySelector(".has-error input, .has-error select, .has-error textarea, select, input:not([type=hidden])")?.focus();
  };
  const openEscalation = async (url) => {
    const box = dialog();
    if (!box) return;
    try {
      const answer = await window.hotlineHttp.form(url, undefined, { "X-Hotline-Dialog": "1" });
      showForm(answer.html);
      if (!box.open) box.showModal();
    } catch (error) {
      C.flash(error.message, "error");
    }
  };
  document.addEventListener("submit", async (event) => {
    const form = event.target;
    if (form.id !== "escalation-form" || !dialog()?.contains(form)) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    const button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    try {
      const answer = await window.hotlineHttp.form(form.action, new FormData(form), { "X-Hotline-Dialog": "1" });
      if (answer.json) {
        dialog().close();
        C.flash(answer.json.message, "success");
        const link = document.createElement("a");
        link.href = answer.json.url;
        link.id = "escalation-link";
        link.textContent = ` ${C.config.strings.openEscalation}`;
        document.getElementById("console-flash").append(link);
      } else {
        showForm(answer.html); // the errors beside their fields, what was typed kept
      }
    } catch (error) {
      C.flash(error.message, "error");
      button.disabled = false;
    }
  }, true);

  document.addEventListener("click", (event) => {
    const escalate = event.target.closest("[data-escalate]");
    if (escalate) {
      event.preventDefault();
      openEscalation(escalate.dataset.escalate);
      return;
    }
    if (event.target.closest("[data-close-dialog]")) {
      dialog()?.close();
      return;
    }
    const button = event.target.closest("[data-line]");
    if (!button || !document.getElementById("call-line")?.contains(button)) return;
    event.preventDefault();
    toggle(button);
  });

  const pending = dialog()?.dataset.openOnLoad;
  if (pending) {
    history.replaceState(null, "", window.location.pathname);
    openEscalation(pending);
  }

  // H, M and X act on the call unless the worker is typing; with Alt they act from anywhere.
  document.addEventListener("keydown", (event) => {
    const selector = KEYS[event.code];
    if (!selector || dialog()?.open || event.defaultPrevented || event.ctrlKey || event.metaKey || event.repeat) return;
    const typing = event.target.closest?.("textarea, select, input, [contenteditable]");
    if (typing && !event.altKey) return;
    const button = document.querySelector(`#call-line ${selector}`);
    if (!button || button.disabled) return;
    event.preventDefault();
    if (button.dataset.line) toggle(button);
    else button.click();
  });
})();
