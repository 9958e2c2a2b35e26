// The rota editor: week and month views of the draft, drag and drop, keyboard, live validation.
// Data comes from the page (#rota-data) and from /api/v1/rota/board; changes go to the
// /api/v1/rota/assignments endpoints (and a shift's minimums to PATCH /api/v1/rota/shifts/<id>)
// and are checked again by /api/v1/rota/validate.
(() => {
  "use strict";

  const state = JSON.parse(document.getElementById("rota-data").textContent);
  const S = state.strings;
  const grid = document.getElementById("rota-grid");
  const statusLine = document.getElementById("rota-status");
  let picked = null; // a chip picked up with the keyboard: {assignmentId, name}
  let focusKey = null; // the shift (or day) to focus after a re-render

  const el = (tag, attrs = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children) if (child) node.append(child);
    return node;
  };

  const fmt = (text, values) => {
    return text.replace(/%\((\w+)\)s/g, (_, key) => values[key] ?? "");
  };

  const api = window.hotlineHttp.json;

  const say = (text, isError = false) => {
    statusLine.textContent = text;
    statusLine.className = isError ? "alert" : "";
  };

  // ---- people panel and filters ------------------------------------------------------------

  const matchesFilters = (person) => {
    const level = document.getElementById("filter-level").value;
    const skill = document.getElementById("filter-skill").value;
    return (!level || person.level === level) && (!skill || (person.skills || []).includes(skill));
  };

  const setupFilters = () => {
    const level = document.getElementById("filter-level");
    const skill = document.getElementById("filter-skill");
    level.append(el("option", { value: "", text: S.any_level }));
    for (const [value, label] of state.levels) level.append(el("option", { value, text: label }));
    skill.append(el("option", { value: "", text: S.any_skill }));
    for (const [value, label] of state.skills) skill.append(el("option", { value, text: label }));
    level.addEventListener("change", render);
    skill.addEventListener("change", render);
  };

  const levelName = (level) => {
    const found = state.levels.find(([value]) => value === level);
    return found ? found[1] : S.uncertified;
  };

  const renderPeople = () => {
    const list = document.getElementById("people");
    list.replaceChildren();
    for (const person of state.people.filter(matchesFilters)) {
      list.append(
        el(
          "li",
          {
            class: "person" + (person.level ? "" : " uncertified"),
            draggable: "true",
            "data-user-id": person.id,
            ondragstart: (event) => event.dataTransfer.setData("text/plain", JSON.stringify({ userId: person.id })),
          },
          el("span", { text: person.name }),
          el("small", { text: " · " + levelName(person.level) }),
        ),
      );
    }
    const experts = document.getElementById("experts");
    experts.replaceChildren();
    for (const expert of state.experts) {
      experts.append(
        el("li", {
          class: "person expert",
          draggable: "true",
          "data-expert-id": expert.id,
          text: expert.name,
          ondragstart: (event) => event.dataTransfer.setData("text/plain", JSON.stringify({ expertId: expert.id })),
        }),
      );
    }
    for (const zone of [list, experts]) {
      zone.ondragover = (event) => event.preventDefault();
      zone.ondrop = (event) => {
        event.preventDefault();
        const data = JSON.parse(event.dataTransfer.getData("text/plain") || "{}");
        if (data.assignmentId) change("DELETE", `/api/v1/rota/assignments/${data.assignmentId}`);
      };
    }
  };

  // ---- issues ------------------------------------------------------------------------------

  const issuesFor = (shiftId) => {
    return state.issues.filter((issue) => issue.shift_id === shiftId);
  };

  const renderIssues = () => {
    const list = document.getElementById("issues");
    list.replaceChildren();
    const errors = state.issues.filter((i) => i.severity === "error").length;
    const warnings = state.issues.length - errors;
    document.getElementById("issue-count").textContent = fmt(S.issue_count, { errors, warnings });
    if (!state.issues.length) list.append(el("li", { class: "ok", text: S.no_issues }));
    for (const issue of state.issues) {
      list.append(
        el("li", { class: "issue " + issue.severity, "data-rule": issue.rule },
          el("a", {
            href: "#",
            text: issue.message,
            onclick: (event) => {
              event.preventDefault();
              const cell = grid.querySelector(`[data-shift-id="${issue.shift_id}"]`);
              if (cell) cell.focus();
            },
          }),
        ),
      );
    }
  };

  // ---- week view -----------------------------------------------------------------------------

  const shiftTimes = (shift) => {
    const time = (iso) => new Date(iso).toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit", timeZone: state.zone });
    return `${time(shift.starts_at)}–${time(shift.ends_at)}`;
  };

  const dayHeader = (day, index) => {
    const names = S.weekdays.split(",");
    const kindText = day.kind === "working" ? (day.makeup ? S.makeup : "") : day.holiday_name || S[day.kind];
    return el("th", { scope: "col", class: "day " + day.kind + (day.makeup ? " makeup" : "") },
      el("span", { text: `${names[index % 7]} ${day.date.slice(5)}` }),
      kindText ? el("small", { text: " " + kindText }) : null,
    );
  };

  const chip = (shift, assignment) => {
    const mine = issuesFor(shift.id).filter(
      (i) => (assignment.user_id && i.user_id === assignment.user_id) || (assignment.expert_id && i.expert_id === assignment.expert_id),
    );
    const severity = mine.some((i) => i.severity === "error") ? "has-error" : mine.length ? "has-warning" : "";
    const person = state.people.find((p) => p.id === assignment.user_id);
    const dim = person && !matchesFilters(person) ? " dimmed" : "";
    const node = el(
      "li",
      {
        class: `chip ${assignment.duty} ${severity}${dim}`,
        tabindex: shift.ended ? null : "0",
        draggable: shift.ended ? null : "true",
        "data-assignment-id": assignment.id,
        "data-user-id": assignment.user_id,
        title: mine.map((i) => i.message).join("\n") || S[assignment.duty],
        "aria-label": `${assignment.name}, ${S[assignment.duty]}${mine.length ? ", " + mine.map((i) => i.message).join(" ") : ""}`,
        ondragstart: (event) => {
          event.stopPropagation();
          event.dataTransfer.setData("text/plain", JSON.stringify({ assignmentId: assignment.id }));
        },
        onkeydown: (event) => chipKey(event, shift, assignment),
      },
      el("span", { text: assignment.name }),
      el("small", { text: " " + (assignment.duty === "supervisor" ? "督" : assignment.duty === "expert" ? "专" : "") }),
    );
    if (!shift.ended) {
      node.append(
        el("button", {
          type: "button",
          class: "link remove",
          "aria-label": `${S.remove} ${assignment.name}`,
          text: "×",
          tabindex: "-1",
          onclick: () => change("DELETE", `/api/v1/rota/assignments/${assignment.id}`, undefined, shift.id),
        }),
      );
    }
    return node;
  };

  const shiftCell = (shift) => {
    const problems = issuesFor(shift.id);
    const shiftLevel = problems.filter((i) => !i.user_id && !i.expert_id);
    const classes = ["shift", shift.status, shift.ended ? "ended" : ""];
    if (shiftLevel.some((i) => i.severity === "error")) classes.push("has-error");
    else if (problems.some((i) => i.severity === "error")) classes.push("has-person-error");
    const workers = shift.assignments.filter((a) => a.duty === "duty_worker").length;
    const advice = state.staffing[shift.id];
    const cell = el(
      "td",
      {
        class: classes.join(" "),
        tabindex: "-1",
        role: "gridcell",
        "data-shift-id": shift.id,
        "aria-label": `${shift.date} ${shift.label} ${shiftTimes(shift)}`,
        onkeydown: (event) => cellKey(event, shift),
        ondragover: (event) => { if (!shift.ended) { event.preventDefault(); cell.classList.add("drop"); } },
        ondragleave: () => cell.classList.remove("drop"),
        ondrop: (event) => dropOn(event, shift),
      },
      el("div", { class: "shift-head" },
        el("strong", { text: shift.label }),
        el("small", { text: " " + shiftTimes(shift) + " · " + (shift.ended ? S.ended : S[shift.status]) }),
      ),
      el("div", { class: "staffing", text: `${workers}/${shift.min_duty_workers} ${S.planned}` + (advice ? (advice.history === false ? ` · ${S.no_history}` : ` · ${fmt(S.suggested, { needed: advice.needed, rate: advice.calls_per_hour })}`) : "") }),
      el("ul", { class: "chips" }, ...shift.assignments.map((a) => chip(shift, a))),
    );
    if (shiftLevel.length) cell.append(el("p", { class: "cell-issues", text: shiftLevel.map((i) => i.message).join(" ") }));
    if (!shift.ended) {
      cell.append(el("button", { type: "button", class: "link add", tabindex: "-1", text: "+ " + S.add, onclick: () => openAdd(shift) }));
    }
    cell.append(minimums(shift));
    return cell;
  };

  // ---- a shift's minimums ----------------------------------------------------------------------

  const MINIMUMS = ["min_duty_workers", "min_qualified", "min_supervisors"];

  const minimumsText = (shift) => {
    const values = { workers: shift.min_duty_workers, qualified: shift.min_qualified, supervisors: shift.min_supervisors };
    return fmt(S.minimums, { summary: fmt(S.minimums_summary, values) });
  };

  // A shift that is over only shows its minimums; the others fold out a small form.
  const minimums = (shift) => {
    if (shift.ended) return el("small", { class: "minimums", text: minimumsText(shift) });
    const inputs = MINIMUMS.map((name) =>
      el("input", { type: "number", name, min: "0", max: "20", step: "1", required: true, value: shift[name] }),
    );
    const error = el("p", { class: "minimums-error", role: "alert", hidden: true });
    const form = el(
      "form",
      {
        class: "minimums-form",
        novalidate: true,
        "aria-label": fmt(S.minimums_of, { shift: `${shift.date} ${shift.label}` }),
        onsubmit: (event) => saveMinimums(event, shift, inputs, error),
      },
      ...MINIMUMS.map((name, index) => el("label", {}, el("span", { text: S[name] }), inputs[index])),
      el("button", { type: "submit", text: S.save }),
      error,
    );
    return el("details", { class: "minimums" }, el("summary", { text: minimumsText(shift) }), form);
  };

  const saveMinimums = async (event, shift, inputs, error) => {
    event.preventDefault();
    const body = {};
    for (const input of inputs) {
      const typed = input.value.trim();
      // Whole numbers go as numbers; anything else goes as typed, for the server to refuse with its reason.
      body[input.name] = /^-?\d+$/.test(typed) ? Number(typed) : typed;
    }
    grid.dataset.busy = "true";
    try {
      await api("PATCH", `/api/v1/rota/shifts/${shift.id}`, body);
    } catch (failure) {
      // Keep the form as typed, with the reason beside it.
      error.textContent = failure.message;
      error.hidden = false;
      for (const input of inputs) input.setAttribute("aria-invalid", "true");
      say(fmt(S.refused, { reason: failure.message }), true);
      delete grid.dataset.busy;
      return;
    }
    focusKey = shift.id;
    await refresh();
    say(S.saved);
    delete grid.dataset.busy;
  };

  const renderWeek = () => {
    const days = state.days;
    const labels = [...new Set(state.shifts.map((s) => s.label))];
    const byKey = new Map(state.shifts.map((s) => [`${s.date}|${s.label}`, s]));
    const table = el("table", { class: "rota-week", role: "grid", "aria-label": `${state.from} – ${state.to}` });
    table.append(el("thead", {}, el("tr", {}, el("th", { scope: "col", text: "" }), ...days.map(dayHeader))));
    const body = el("tbody");
    labels.forEach((label) => {
      const row = el("tr", {}, el("th", { scope: "row", text: label }));
      days.forEach((day) => {
        const shift = byKey.get(`${day.date}|${label}`);
        row.append(shift ? shiftCell(shift) : el("td", { class: "empty", text: "" }));
      });
      body.append(row);
    });
    table.append(body);
    grid.replaceChildren(table);
    const cells = [...grid.querySelectorAll("td.shift")];
    const target = cells.find((c) => c.dataset.shiftId === String(focusKey)) || cells.find((c) => !c.classList.contains("ended")) || cells[0];
    if (target) target.tabIndex = 0;
  };

  // ---- month view ----------------------------------------------------------------------------

  const renderMonth = () => {
    const names = S.weekdays.split(",");
    const table = el("table", { class: "rota-month", role: "grid" });
    table.append(el("thead", {}, el("tr", {}, ...names.map((n) => el("th", { scope: "col", text: n })))));
    const body = el("tbody");
    for (let i = 0; i < state.days.length; i += 7) {
      const row = el("tr");
      for (const day of state.days.slice(i, i + 7)) {
        const shifts = state.shifts.filter((s) => s.date === day.date);
        const errors = shifts.some((s) => issuesFor(s.id).some((x) => x.severity === "error"));
        const link = el("a", { href: `?view=week&date=${day.date}`, text: day.date.slice(5), tabindex: "-1" });
        const cell = el("td", { class: `month-day ${day.kind}${errors ? " has-error" : ""}`, "data-date": day.date, tabindex: "-1", role: "gridcell",
          onkeydown: (event) => monthKey(event, day) }, link);
        if (day.holiday_name || day.makeup) cell.append(el("small", { text: " " + (day.makeup ? S.makeup : day.holiday_name) }));
        const list = el("ul", { class: "month-shifts" });
        for (const shift of shifts) {
          const names = shift.assignments.filter((a) => a.duty !== "expert").map((a) => a.name).join("、");
          const bad = issuesFor(shift.id).some((x) => x.severity === "error");
          list.append(el("li", { class: bad ? "has-error" : "", "data-shift-id": shift.id, text: `${shift.label}: ${names || "—"}` }));
        }
        cell.append(list);
        row.append(cell);
      }
      body.append(row);
    }
    table.append(body);
    grid.replaceChildren(table);
    const cells = [...grid.querySelectorAll("td.month-day")];
    const target = cells.find((c) => c.dataset.date === focusKey) || cells[0];
    if (target) target.tabIndex = 0;
  };

  const monthKey = (event, day) => {
    if (event.key === "Enter") {
      window.location.search = `?view=week&date=${day.date}`;
      return;
    }
    moveFocus(event, "td.month-day", 7);
  };

  // ---- keyboard ------------------------------------------------------------------------------

  const moveFocus = (event, selector, columns) => {
    const cells = [...grid.querySelectorAll(selector + ", td.empty")];
    const current = event.currentTarget;
    const rows = [...grid.querySelectorAll("tbody tr")].map((tr) => [...tr.querySelectorAll("td")]);
    let r = rows.findIndex((row) => row.includes(current));
    let c = r >= 0 ? rows[r].indexOf(current) : -1;
    const step = { ArrowLeft: [0, -1], ArrowRight: [0, 1], ArrowUp: [-1, 0], ArrowDown: [1, 0] }[event.key];
    if (!step || r < 0) return false;
    event.preventDefault();
    for (let tries = 0; tries < columns * rows.length; tries += 1) {
      r += step[0];
      c += step[1];
      if (r < 0 || r >= rows.length || c < 0 || c >= rows[r].length) return true;
      const next = rows[r][c];
      if (next && next.matches(selector)) {
        cells.forEach((cell) => (cell.tabIndex = -1));
        next.tabIndex = 0;
        next.focus();
        return true;
      }
    }
    return true;
  };

  const cellKey = (event, shift) => {
    if (event.target !== event.currentTarget) return;
    if (moveFocus(event, "td.shift", 7)) return;
    if (event.key === "Enter" || event.key === "a") {
      event.preventDefault();
      if (picked) {
        const moving = picked;
        picked = null;
        change("PATCH", `/api/v1/rota/assignments/${moving.assignmentId}`, { shift_id: shift.id }, shift.id);
      } else if (!shift.ended) {
        openAdd(shift);
      }
    } else if (event.key === "Escape" && picked) {
      picked = null;
      say("");
    } else if (event.key === "ArrowDown" || event.key === "Tab") {
      // default behaviour
    }
  };

  const chipKey = (event, shift, assignment) => {
    if (event.key === "Delete" || event.key === "Backspace") {
      event.preventDefault();
      change("DELETE", `/api/v1/rota/assignments/${assignment.id}`, undefined, shift.id);
    } else if (event.key === "m" || event.key === "M") {
      event.preventDefault();
      picked = { assignmentId: assignment.id, name: assignment.name };
      say(fmt(S.picked, { name: assignment.name }));
      event.currentTarget.closest("td").focus();
    } else if (event.key === "Escape") {
      event.currentTarget.closest("td").focus();
    }
  };

  // ---- changes -------------------------------------------------------------------------------

  const dropOn = (event, shift) => {
    event.preventDefault();
    event.currentTarget.classList.remove("drop");
    const data = JSON.parse(event.dataTransfer.getData("text/plain") || "{}");
    if (data.assignmentId) {
      change("PATCH", `/api/v1/rota/assignments/${data.assignmentId}`, { shift_id: shift.id }, shift.id);
    } else if (data.userId) {
      const duty = document.getElementById("drop-duty").value;
      change("POST", "/api/v1/rota/assignments", { shift_id: shift.id, duty, user_id: data.userId }, shift.id);
    } else if (data.expertId) {
      change("POST", "/api/v1/rota/assignments", { shift_id: shift.id, duty: "expert", expert_id: data.expertId }, shift.id);
    }
  };

  const dialog = document.getElementById("add-dialog");
  let dialogShift = null;

  const openAdd = (shift) => {
    dialogShift = shift;
    document.getElementById("add-title").textContent = fmt(S.add_person, { shift: `${shift.date} ${shift.label}` });
    fillPersonChoices();
    dialog.showModal();
    document.getElementById("add-person").focus();
  };

  const fillPersonChoices = () => {
    const select = document.getElementById("add-person");
    const duty = document.getElementById("add-duty").value;
    select.replaceChildren();
    const taken = new Set(dialogShift.assignments.map((a) => (a.user_id ? `u${a.user_id}` : `x${a.expert_id}`)));
    if (duty === "expert") {
      for (const x of state.experts) if (!taken.has(`x${x.id}`)) select.append(el("option", { value: `x${x.id}`, text: x.name }));
    } else {
      // Only people whose registration is valid on the shift's day are offered (the editor would refuse the rest).
      const certified = (p) => p.valid_until && p.valid_until >= dialogShift.date;
      for (const p of state.people.filter(matchesFilters).filter(certified)) {
        if (!taken.has(`u${p.id}`)) select.append(el("option", { value: `u${p.id}`, text: `${p.name} · ${levelName(p.level)}` }));
      }
    }
  };

  document.getElementById("add-duty").addEventListener("change", fillPersonChoices);
  document.getElementById("add-form").addEventListener("keydown", (event) => {
    // Enter on a choice confirms, as it would on a button.
    if (event.key === "Enter" && event.target.tagName === "SELECT") {
      event.preventDefault();
      event.currentTarget.requestSubmit();
    }
  });
  document.getElementById("add-cancel").addEventListener("click", () => dialog.close());
  document.getElementById("add-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const value = document.getElementById("add-person").value;
    const duty = document.getElementById("add-duty").value;
    dialog.close();
    if (!value) return;
    const body = { shift_id: dialogShift.id, duty };
    if (value.startsWith("x")) body.expert_id = Number(value.slice(1));
    else body.user_id = Number(value.slice(1));
    change("POST", "/api/v1/rota/assignments", body, dialogShift.id);
  });
  dialog.addEventListener("close", () => {
    const cell = dialogShift && grid.querySelector(`[data-shift-id="${dialogShift.id}"]`);
    if (cell) cell.focus();
  });

  const change = async (method, url, body, shiftId) => {
    grid.dataset.busy = "true";
    let message = S.saved;
    let failed = false;
    try {
      await api(method, url, body);
    } catch (error) {
      message = fmt(S.refused, { reason: error.message });
      failed = true;
    }
    focusKey = shiftId ?? focusKey;
    await refresh();
    // Announce once the grid shows the result, so screen readers and tests read a settled page.
    say(message, failed);
    delete grid.dataset.busy;
  };

  const refresh = async () => {
    const [board, check] = await Promise.all([
      api("GET", `/api/v1/rota/board?view=${state.view}&anchor=${state.anchor}`),
      api("POST", "/api/v1/rota/validate", { from: state.from, to: state.to }),
    ]);
    Object.assign(state, board, { issues: check.issues });
    render();
    const cell = focusKey && grid.querySelector(`[data-shift-id="${focusKey}"]`);
    if (cell) cell.focus();
  };

  const render = () => {
    renderPeople();
    renderIssues();
    if (state.view === "month") renderMonth();
    else renderWeek();
  };

  // ---- automatic draft -------------------------------------------------------------------------

  const autoForm = document.getElementById("autodraft-form");
  autoForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const progress = document.getElementById("autodraft-progress");
    const status = document.getElementById("autodraft-status");
    const explanation = document.getElementById("autodraft-explanation");
    explanation.replaceChildren();
    progress.hidden = false;
    progress.value = 0;
    let draft;
    try {
      draft = await api("POST", autoForm.dataset.url, {
        from: autoForm.querySelector('[name="date_from"]').value,
        to: autoForm.querySelector('[name="date_to"]').value,
      });
    } catch (error) {
      status.textContent = fmt(S.refused, { reason: error.message });
      progress.hidden = true;
      return;
    }
    while (draft.status === "queued" || draft.status === "running") {
      status.textContent = S[draft.status];
      progress.value = draft.progress;
      await new Promise((resolve) => setTimeout(resolve, 700));
      draft = await api("GET", `${autoForm.dataset.url}/${draft.id}`);
    }
    progress.value = 100;
    status.textContent = S[draft.status] || draft.status;
    for (const item of draft.explanation) explanation.append(el("li", { text: item.message }));
    if (draft.status === "done") await refresh();
  });

  document.getElementById("keyboard-help").textContent = S.keyboard_help;
  setupFilters();
  render();
})();
