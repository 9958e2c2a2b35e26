/* The knowledge panel beside the intake: suggestions for the call's area and service, search as the
   worker types, one article read in place, "answered from this article" (recorded with the call and
   cited in the intake's actions taken), and "no article found" (recorded as a gap). No build step. */
(function () {
  "use strict";
  var panel = document.getElementById("knowledge-panel");
  if (!panel) return;
  var strings = JSON.parse(panel.dataset.strings);
  var input = document.getElementById("knowledge-q");
  var results = document.getElementById("knowledge-results");
  var articleBox = document.getElementById("knowledge-article");
  var status = document.getElementById("knowledge-status");
  var callId = panel.dataset.callId;
  var timer = null;
  var latest = 0;

  function intakeContext() {
    var area = document.getElementById("area_id");
    var service = document.querySelector('#services-field input[name="services"]:checked');
    return { area_id: area ? area.value : "", service: service ? service.value : "" };
  }

  function params(extra) {
    var context = intakeContext();
    var query = new URLSearchParams({ call_id: callId, area_id: context.area_id, service: context.service });
    Object.keys(extra || {}).forEach(function (key) { query.set(key, extra[key]); });
    return query.toString();
  }

  var fetchText = window.hotlineHttp.text;

  function post(url, body) {
    return window.hotlineHttp.json("POST", url, body);
  }

  function showResults() {
    articleBox.hidden = true;
    results.hidden = false;
  }

  function load() {
    var ticket = ++latest;
    var url = panel.dataset.resultsUrl + "?" + params({ q: input.value.trim() });
    return fetchText(url).then(function (html) {
      if (ticket !== latest) return; // a newer search has started
      results.innerHTML = html;
      showResults();
      status.textContent = "";
    }).catch(function () { status.textContent = strings.failed; });
  }

  function openArticle(id) {
    var url = panel.dataset.articleUrl.replace(/\/0$/, "/" + id) + "?" + params({ q: input.value.trim() });
    fetchText(url).then(function (html) {
      articleBox.innerHTML = html;
      results.hidden = true;
      articleBox.hidden = false;
      status.textContent = "";
    }).catch(function () { status.textContent = strings.failed; });
  }

  function cite(article) {
    var field = document.getElementById("actions_taken");
    if (!field) return;
    var line = strings.cite.replace("{question}", article.dataset.question).replace("{source}", article.dataset.source);
    if (field.value.indexOf(line) !== -1) return;
    field.value = field.value.trim() ? field.value.replace(/\s+$/, "") + "\n" + line : line;
    field.dispatchEvent(new Event("input", { bubbles: true })); // the intake keeps its draft on input
  }

  function answeredFrom(button) {
    var article = button.closest("[data-article-id]");
    button.disabled = true;
    post(panel.dataset.usesUrl, { article_id: Number(article.dataset.articleId), call_id: Number(callId), q: input.value.trim() })
      .then(function () {
        cite(article);
        status.textContent = strings.recorded;
        button.textContent = strings.recorded;
      })
      .catch(function () {
        button.disabled = false;
        status.textContent = strings.failed;
      });
  }

  function noArticle(button) {
    var context = intakeContext();
    button.disabled = true;
    post(panel.dataset.gapsUrl, {
      question: input.value.trim(), call_id: Number(callId), area_id: context.area_id, service: context.service,
    }).then(function () {
      status.textContent = strings.gapRecorded;
      button.textContent = strings.gapRecorded;
    }).catch(function () {
      button.disabled = false;
      status.textContent = strings.failed;
    });
  }

  document.getElementById("knowledge-search").addEventListener("submit", function (event) {
    event.preventDefault();
    clearTimeout(timer);
    load();
  });
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(load, 250);
  });
  panel.addEventListener("click", function (event) {
    var target = event.target.closest("button");
    if (!target || !panel.contains(target)) return;
    if (target.classList.contains("knowledge-open")) openArticle(target.dataset.articleId);
    else if (target.dataset.action === "back") showResults();
    else if (target.dataset.action === "use") answeredFrom(target);
    else if (target.dataset.action === "gap") noArticle(target);
  });
  var intake = document.getElementById("intake-form");
  if (intake) {
    intake.addEventListener("change", function (event) {
      var name = event.target.name || "";
      if (!input.value.trim() && (name === "services" || (event.target.dataset && event.target.dataset.areaLevel))) load();
    });
  }
  load();
})();
