// Behaviour every page may use, bound here because the CSP allows no inline script or handler.
(() => {
  "use strict";

  const header = document.querySelector(".topbar");

  document.addEventListener("click", (event) => {
    if (event.target.closest("[data-print]")) {
      event.preventDefault();
      window.print();
      return;
    }
    const toggle = event.target.closest("[data-nav-toggle]");
    if (toggle && header) {
      const open = !header.hasAttribute("data-nav-open");
      header.toggleAttribute("data-nav-open", open);
      toggle.setAttribute("aria-expanded", String(open));
      return;
    }
    // A click outside the header's menus closes them.
    for (const menu of document.querySelectorAll(".nav-menu[open]")) {
      if (!menu.contains(event.target)) menu.open = false;
    }
  });

  // One header menu open at a time; Escape closes it.
  for (const menu of document.querySelectorAll(".nav-menu")) {
    menu.addEventListener("toggle", () => {
      if (!menu.open) return;
      for (const other of document.querySelectorAll(".nav-menu[open]")) if (other !== menu) other.open = false;
    });
  }
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    for (const menu of document.querySelectorAll(".nav-menu[open]")) {
      menu.open = false;
      menu.querySelector("summary").focus();
    }
  });
})();
