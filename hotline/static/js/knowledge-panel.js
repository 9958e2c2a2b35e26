// The knowledge panel beside the intake: suggestions for the call's area and service, search as the
// worker types, one article read in place, "answered from this article" (recorded with the call and
// cited in the intake's actions taken), and "no article found" (recorded as a gap). No build step.
(() => {
  "use strict";

  const panel = document.getElementById("knowledge-panel");
  if (!panel) return;
  const strings = JSON.parse(panel.dataset.strings);
  const input = document.getElementById("knowledge-q");
  const results = document.getElementById("knowledge-results");
  const articleBox = document.getElementById("knowledge-article");
  const status = document.getElementById("knowledge-status");
  const callId = panel.dataset.callId;
  const { json, text } = window.hotlineHttp;
  let timer = null;
  let latest = 0;

  const intakeContext = () => {
    const area = document.getElementById("area_id");
    const service = document.querySelector('#services-field input[name="services"]:checked');
    return { area_id: area?.value ?? "", service: service?.value ?? "" };
  };

  const params = (extra = {}) => {
    const context = intakeContext();
    const query = new URLSearchParams({ call_id: callId, area_id: context.area_id, service: context.service });
    for (const [key, value] of Object.entries(extra)) query.set(key, value);
    return query.toString();
  };

  const showResults = () => {
    articleBox.hidden = true;
    results.hidden = false;
  };

  const load = async () => {
    const ticket = ++latest;
    try {
      const html = await text(`${panel.dataset.resultsUrl}?${params({ q: input.value.trim() })}`);
      if (ticket !== latest) return; // a newer search has started
      results.innerHTML = html;
      showResults();
      status.textContent = "";
    } catch {
      status.textContent = strings.failed;
    }
  };

  const openArticle = async (id) => {
    const url = `${panel.dataset.articleUrl.replace(/\/0$/, `/${id}`)}?${params({ q: input.value.trim() })}`;
    try {
      articleBox.innerHTML = await text(url);
      results.hidden = true;
      articleBox.hidden = false;
      status.textContent = "";
    } catch {
      status.textContent = strings.failed;
    }
  };

  const cite = (article) => {
    const field = document.getElementById("actions_taken");
    if (!field) return;
    const line = strings.cite.replace("{question}", article.dataset.question).replace("{source}", article.dataset.source);
    if (field.value.includes(line)) return;
    field.value = field.value.trim() ? `${field.value.replace(/\s+$/, "")}\n${line}` : line;
    field.dispatchEvent(new Event("input", { bubbles: true })); // the intake keeps its draft on input
  };

  // Post one record from a button; the button says `done` once it is kept.
  const record = async (button, url, body, done, after = () => {}) => {
    button.disabled = true;
    try {
      await json("POST", url, body);
      after();
      status.textContent = done;
      button.textContent = done;
    } catch {
      button.disabled = false;
      status.textContent = strings.failed;
    }
  };

  const answeredFrom = (button) => {
    const article = button.closest("[data-article-id]");
    const body = { article_id: Number(article.dataset.articleId), call_id: Number(callId), q: input.value.trim() };
    return record(button, panel.dataset.usesUrl, body, strings.recorded, () => cite(article));
  };

  const noArticle = (button) => {
    const context = intakeContext();
    const body = { question: input.value.trim(), call_id: Number(callId), ...context };
    return record(button, panel.dataset.gapsUrl, body, strings.gapRecorded);
  };

  document.getElementById("knowledge-search").addEventListener("submit", (event) => {
    event.preventDefault();
    clearTimeout(timer);
    load();
  });
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(load, 250);
  });
  panel.addEventListener("click", (event) => {
    const target = event.target.closest("button");
    if (!target || !panel.contains(target)) return;
    if (target.classList.contains("knowledge-open")) openArticle(target.dataset.articleId);
    else if (target.dataset.action === "back") showResults();
    else if (target.dataset.action === "use") answeredFrom(target);
    else if (target.dataset.action === "gap") noArticle(target);
  });
  document.getElementById("intake-form")?.addEventListener("change", (event) => {
    const name = event.target.name || "";
    if (!input.value.trim() && (name === "services" || event.target.dataset?.areaLevel)) load();
  });
  load();
})();
