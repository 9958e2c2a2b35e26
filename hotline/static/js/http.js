// Fetch for every page: same-origin cookies, the CSRF header on every request, JSON in and out,
// and the API's error shape ({"error": {"message": ...}}) thrown as an Error with .status.
// A classic script (no build step) loaded by base.html before the page's scripts; classic
// scripts and modules alike use window.hotlineHttp.
(() => {
  "use strict";

  const csrfToken = () => document.querySelector('meta[name="csrf-token"]')?.content ?? "";

  const failure = (response, data) => {
    const error = new Error(data?.error?.message || response.statusText);
    error.status = response.status;
    return error;
  };

  // Send `body` as JSON (none when undefined) and return the JSON answer ({} for 204 No Content).
  const json = async (method, url, body) => {
    const response = await fetch(url, {
      method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(), Accept: "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = response.status === 204 ? {} : await response.json().catch(() => null);
    if (!response.ok) throw failure(response, data);
    return data;
  };

  // GET an HTML fragment.
  const text = async (url) => {
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } });
    if (!response.ok) throw failure(response, null);
    return response.text();
  };

  // GET an HTML fragment, or POST a form's data (FormData) to a route that answers an HTML fragment
  // (its errors, 4xx) or JSON; `headers` are added. Returns {status, ok, json} or {status, ok, html}.
  const form = async (url, body, headers = {}) => {
    const response = await fetch(url, {
      method: body === undefined ? "GET" : "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), ...headers },
      body,
    });
    const type = response.headers.get("Content-Type") || "";
    if (type.includes("application/json")) return { status: response.status, ok: response.ok, json: await response.json() };
    if (!response.ok && response.status !== 422) throw failure(response, null);
    return { status: response.status, ok: response.ok, html: await response.text() };
  };

  window.hotlineHttp = Object.freeze({ json, text, form, csrfToken });
})();
