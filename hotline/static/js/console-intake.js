// The intake form: drafts saved as the worker types (server + this browser), linked area selects,
// the crisis checklist and the supervisor alert for high risk.
(() => {
  "use strict";

  const C = window.HotlineConsole;
  const MULTI = ["target_groups", "services", "crisis_checklist"];
  let saveTimer = null;
  let form = null;
  let key = null;
  let statusBox = null;

  const collect = () => {
    const data = Object.fromEntries(MULTI.map((name) => [name, []]));
    for (const element of form.elements) {
      if (!element.name || element.name === "csrf_token") continue;
      if (element.type === "checkbox") {
        if (MULTI.includes(element.name)) {
          if (element.checked) data[element.name].push(element.value);
        } else {
          data[element.name] = element.checked;
        }
      } else if (element.type === "radio") {
        if (element.checked) data[element.name] = element.value;
      } else {
        data[element.name] = element.value;
      }
    }
    return data;
  };

  const apply = (data) => {
    for (const element of form.elements) {
      if (!element.name || !(element.name in data)) continue;
      const value = data[element.name];
      if (element.type === "checkbox") element.checked = Array.isArray(value) ? value.includes(element.value) : !!value;
      else if (element.type === "radio") element.checked = value === element.value;
      else if (element.name !== "csrf_token") element.value = value ?? "";
    }
    restoreAreas(data.area_id);
    showChecklist();
  };

  const status = (text) => {
    if (statusBox) statusBox.textContent = text;
  };

  const stored = () => {
    try {
      return JSON.parse(localStorage.getItem(key) || "null");
    } catch {
      return null;
    }
  };

  const keepLocally = (data, synced) => {
    try {
      localStorage.setItem(key, JSON.stringify({ data, synced, at: Date.now() }));
    } catch {
      // Private mode: the server copy is the only one.
    }
  };

  const send = async () => {
    const data = collect();
    keepLocally(data, false);
    try {
      await C.api("PUT", `/api/v1/console/calls/${form.dataset.callId}/draft`, data);
      keepLocally(data, true);
      status(`${C.config.strings.saved} ${new Date().toLocaleTimeString()}`);
    } catch {
      status(C.config.strings.savedLocally);
    }
  };

  const changed = () => {
    keepLocally(collect(), false);
    clearTimeout(saveTimer);
    saveTimer = setTimeout(send, 500);
  };

  /* Area: district → street/township → community ----------------------------------------- */
  const areaSelects = () => ["district", "street", "community"].map((level) => document.getElementById(`area-${level}`));
  const filterChildren = () => {
    const selects = areaSelects();
    for (let index = 1; index < selects.length; index += 1) {
      const parent = selects[index - 1].value;
      for (const option of selects[index].options) {
        if (!option.value) continue;
        option.hidden = option.disabled = !parent || option.dataset.parent !== parent;
      }
      const chosen = selects[index].selectedOptions[0];
      if (chosen?.value && chosen.disabled) selects[index].value = "";
    }
    const deepest = selects.filter((select) => select.value).pop();
    document.getElementById("area_id").value = deepest ? deepest.value : "";
  };
  const optionOf = (areaId) => form.querySelector(`select[data-area-level] option[value="${areaId}"]`);
  const restoreAreas = (areaId) => {
    for (const select of areaSelects()) select.value = "";
    let option = areaId && optionOf(areaId);
    while (option) {
      option.parentElement.value = option.value;
      option = option.dataset.parent && optionOf(option.dataset.parent);
    }
    filterChildren();
  };

  /* Risk ----------------------------------------------------------------------------------- */
  const showChecklist = () => {
    const risk = form.querySelector('input[name="risk"]:checked')?.value;
    const high = risk === "high" || risk === "imminent";
    document.getElementById("crisis-checklist").hidden = !high;
    return high ? risk : null;
  };

  const init = () => {
    form = document.getElementById("intake-form");
    if (!form || form.dataset.ready) return;
    form.dataset.ready = "1";
    key = `hotline-intake-${C.config.userId}-${form.dataset.callId}`;
    if (/\/intake$/.test(window.location.pathname)) {
      // A form with errors came back from a post: a reload should show the call page with the draft, not post again.
      history.replaceState(null, "", window.location.pathname.replace(/\/intake$/, ""));
    }
    statusBox = document.getElementById("draft-status");
    const local = stored();
    if (local && !local.synced && !form.querySelector(".has-error")) {
      apply(local.data); // typed while the connection was down: this browser has the newest words
      send();
    } else {
      filterChildren();
    }
    form.addEventListener("input", changed);
    form.addEventListener("change", (event) => {
      if (event.target.matches("select[data-area-level]")) filterChildren();
      if (event.target.name === "risk") {
        const high = showChecklist();
        if (high) C.api("POST", `/api/v1/console/calls/${form.dataset.callId}/risk-alert`, { risk: high }).catch(() => {});
      }
      changed();
    });
    form.addEventListener("submit", () => {
      clearTimeout(saveTimer);
      filterChildren();
      try {
        localStorage.removeItem(key);
      } catch {
        // Nothing was kept.
      }
    });
    document.addEventListener("hotline:online", () => {
      if (stored()?.synced === false) send();
    });
    window.addEventListener("online", () => send());
  };

  window.HotlineIntake = { init };
  init();
})();
