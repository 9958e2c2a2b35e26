/* The intake form: drafts saved as the worker types (server + this browser), linked area selects,
   the crisis checklist and the supervisor alert for high risk. */
(function () {
  "use strict";
  var C = window.HotlineConsole;
  var MULTI = ["target_groups", "services", "crisis_checklist"];
  var saveTimer = null, form = null, key = null, statusBox = null;

  function collect() {
    var data = {};
    MULTI.forEach(function (name) { data[name] = []; });
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.name === "csrf_token") return;
      if (el.type === "checkbox") {
        if (MULTI.indexOf(el.name) >= 0) { if (el.checked) data[el.name].push(el.value); }
        else data[el.name] = el.checked;
      } else if (el.type === "radio") {
        if (el.checked) data[el.name] = el.value;
      } else {
        data[el.name] = el.value;
      }
    });
    return data;
  }

  function apply(data) {
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || !(el.name in data)) return;
      var value = data[el.name];
      if (el.type === "checkbox") el.checked = Array.isArray(value) ? value.indexOf(el.value) >= 0 : !!value;
      else if (el.type === "radio") el.checked = value === el.value;
      else if (el.name !== "csrf_token") el.value = value == null ? "" : value;
    });
    restoreAreas(data.area_id);
    showChecklist();
  }

  function status(text) { if (statusBox) statusBox.textContent = text; }

  function keepLocally(data, synced) {
    try { localStorage.setItem(key, JSON.stringify({ data: data, synced: synced, at: Date.now() })); } catch (e) { /* private mode */ }
  }

  function send() {
    var data = collect();
    keepLocally(data, false);
    return C.api("PUT", "/api/v1/console/calls/" + form.dataset.callId + "/draft", data)
      .then(function () {
        keepLocally(data, true);
        status(C.config.strings.saved + " " + new Date().toLocaleTimeString());
      })
      .catch(function () { status(C.config.strings.savedLocally); });
  }

  function changed() {
    keepLocally(collect(), false);
    clearTimeout(saveTimer);
    saveTimer = setTimeout(send, 500);
  }

  /* Area: district → street/township → community ----------------------------------------- */
  function areaSelects() { return ["district", "street", "community"].map(function (l) { return document.getElementById("area-" + l); }); }
  function filterChildren() {
    var selects = areaSelects();
    for (var i = 1; i < selects.length; i++) {
      var parent = selects[i - 1].value;
      Array.prototype.forEach.call(selects[i].options, function (option) {
        if (!option.value) return;
        option.hidden = option.disabled = !parent || option.dataset.parent !== parent;
      });
      var chosen = selects[i].selectedOptions[0];
      if (chosen && chosen.value && chosen.disabled) selects[i].value = "";
    }
    var deepest = selects.filter(function (s) { return s.value; }).pop();
    document.getElementById("area_id").value = deepest ? deepest.value : "";
  }
  function restoreAreas(areaId) {
    var selects = areaSelects();
    selects.forEach(function (s) { s.value = ""; });
    var option = areaId && form.querySelector('select[data-area-level] option[value="' + areaId + '"]');
    while (option) {
      option.parentElement.value = option.value;
      option = option.dataset.parent && form.querySelector('select[data-area-level] option[value="' + option.dataset.parent + '"]');
    }
    filterChildren();
  }

  /* Risk ----------------------------------------------------------------------------------- */
  function showChecklist() {
    var risk = (form.querySelector('input[name="risk"]:checked') || {}).value;
    var high = risk === "high" || risk === "imminent";
    document.getElementById("crisis-checklist").hidden = !high;
    return high ? risk : null;
  }

  function init() {
    form = document.getElementById("intake-form");
    if (!form || form.dataset.ready) return;
    form.dataset.ready = "1";
    key = "hotline-intake-" + C.config.userId + "-" + form.dataset.callId;
    if (/\/intake$/.test(window.location.pathname)) {
      // A form with errors came back from a post: a reload should show the call page with the draft, not post again.
      history.replaceState(null, "", window.location.pathname.replace(/\/intake$/, ""));
    }
    statusBox = document.getElementById("draft-status");
    var local = null;
    try { local = JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { local = null; }
    if (local && !local.synced && !form.querySelector(".has-error")) {
      apply(local.data); // typed while the connection was down: this browser has the newest words
      send();
    } else {
      filterChildren();
    }
    form.addEventListener("input", changed);
    form.addEventListener("change", function (event) {
      if (event.target.matches("select[data-area-level]")) filterChildren();
      if (event.target.name === "risk") {
        var high = showChecklist();
        if (high) C.api("POST", "/api/v1/console/calls/" + form.dataset.callId + "/risk-alert", { risk: high }).catch(function () {});
      }
      changed();
    });
    form.addEventListener("submit", function () {
      clearTimeout(saveTimer);
      filterChildren();
      try { localStorage.removeItem(key); } catch (e) { /* nothing kept */ }
    });
    document.addEventListener("hotline:online", function () {
      var stored = null;
      try { stored = JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { stored = null; }
      if (stored && !stored.synced) send();
    });
    window.addEventListener("online", function () { send(); });
  }

  window.HotlineIntake = { init: init };
  init();
})();
