// Behaviour every page may use, bound here because the CSP allows no inline script or handler.
(() => {
  "use strict";

  document.addEventListener("click", (event) => {
    if (!event.target.closest("[data-print]")) return;
    event.preventDefault();
    window.print();
  });
})();
