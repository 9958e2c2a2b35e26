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

  window.hotlineHttp = Object.freeze({ json, text, csrfToken });
})();
