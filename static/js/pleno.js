// Pleno actions (SPEC 8): each form asks for confirmation in a <dialog> before its POST.
// The page's own button checks the fields, then opens the dialog; the dialog's button submits.
// Without JavaScript the <noscript> button submits directly. CSP forbids inline handlers.
document.addEventListener("click", function (event) {
  var opener = event.target.closest("[data-confirm]");
  if (opener) {
    var form = opener.form;
    if (form && !form.reportValidity()) {
      return;
    }
    var dialog = document.getElementById(opener.getAttribute("data-confirm"));
    if (dialog && dialog.showModal) {
      dialog.showModal();
    } else if (form) {
      form.requestSubmit();
    }
    return;
  }
  var closer = event.target.closest("[data-close]");
  if (closer) {
    var open = closer.closest("dialog");
    if (open) {
      open.close();
    }
  }
});
