// The paper entry page (/wilayah/<tps>/entri/): keyboard first. Enter in a row's mark saves it
// through htmx (the form's hx-post); once the row comes back saved, focus moves to the next
// row's mark. A refused row keeps the focus with its text selected; U opens the correction form
// and focuses its first field. Arrow keys move between rows. No inline script: the CSP forbids it.
(function () {
  "use strict";
  function marks() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-mark]"));
  }
  function focusMark(input) {
    if (!input) return false;
    input.focus();
    input.select();
    return true;
  }
  function nextAfter(row) {
    var all = marks();
    for (var i = 0; i < all.length; i++) {
      if (row.compareDocumentPosition(all[i]) & Node.DOCUMENT_POSITION_FOLLOWING) return all[i];
    }
    return null;
  }
  function rowOf(el) {
    return el && el.closest ? el.closest("tr.entry-row") : null;
  }
  document.addEventListener("htmx:afterSettle", function (event) {
    var el = event.detail && event.detail.elt;
    if (el && el.id === "baru") {
      var first = el.querySelector("[data-new-first]");
      if (first) first.focus();
      return;
    }
    var row = rowOf(el) || (el && el.matches && el.matches("tr.entry-row") ? el : null);
    if (!row || !row.isConnected) {
      row = el && el.id ? document.getElementById(el.id) : null;
    }
    if (!row || !row.matches("tr.entry-row")) return;
    if (row.classList.contains("fixing")) {
      var field = row.querySelector("[data-fix] input:not([type=hidden])");
      if (field) field.focus();
    } else if (row.classList.contains("has-error")) {
      focusMark(row.querySelector("[data-mark]"));
    } else if (!focusMark(nextAfter(row))) {
      var more = document.querySelector("[data-next-page]");
      if (more) more.focus();
    }
  });
  document.addEventListener("keydown", function (event) {
    var t = event.target;
    if (!t || !t.matches) return;
    if (t.matches("[data-mark]") && (event.key === "ArrowDown" || event.key === "ArrowUp")) {
      var all = marks();
      var i = all.indexOf(t) + (event.key === "ArrowDown" ? 1 : -1);
      if (i >= 0 && i < all.length) {
        event.preventDefault();
        focusMark(all[i]);
      }
    } else if (t.closest("[data-fix]") && event.key === "Escape") {
      // Cancel a correction: reload the row as it is (a GET of the page is not needed).
      var row = rowOf(t);
      if (row) window.location.hash = row.id;
      window.location.reload();
    }
  });
  document.addEventListener("DOMContentLoaded", function () {
    // Start at the first voter without a mark (or at the row named in the address).
    var target = window.location.hash ? document.getElementById(window.location.hash.slice(1)) : null;
    var input = target ? target.querySelector("[data-mark]") : null;
    if (!input) {
      input = marks().filter(function (m) { return !m.value; })[0] || marks()[0];
    }
    focusMark(input);
  });
})();
