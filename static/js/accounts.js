// Accounts pages: a print button for one-time password slips (CSP forbids inline handlers).
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});
