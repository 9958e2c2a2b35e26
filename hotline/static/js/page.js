// Behaviour every page may use, bound here because the CSP allows no inline script or handler.
document.addEventListener("click", (event) => {
  const printer = event.target.closest("[data-print]");
  if (printer) {
    event.preventDefault();
    window.print();
  }
});
