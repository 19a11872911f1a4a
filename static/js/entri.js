// The paper entry page (/wilayah/<tps>/entri/): keyboard first. Enter in a row's mark saves it
// through htmx (the form's hx-post) and the focus moves to the next row at once, so the
// operator types on while the row is saved. A refused row takes the focus back with its text
// selected; U opens the correction form and focuses its first field. Arrow keys move between
// rows. No inline script: the CSP forbids it.
(function () {
  "use strict";
  var sent = null; // the id of the row (or "baru") whose form is being saved

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
      if (row.contains(all[i])) continue; // its own mark, which comes "after" the row too
      if (row.compareDocumentPosition(all[i]) & Node.DOCUMENT_POSITION_FOLLOWING) return all[i];
    }
    return null;
  }
  function rowOf(el) {
    return el && el.closest ? el.closest("tr.entry-row") : null;
  }
  function focusNext(row) {
    if (!focusMark(nextAfter(row))) {
      var more = document.querySelector("[data-next-page]");
      if (more) more.focus();
    }
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail && event.detail.elt;
    var row = rowOf(elt);
    if (row) {
      sent = row.id;
      focusNext(row);
    } else if (elt && elt.closest && elt.closest("#baru")) {
      sent = "baru";
    }
  });
  document.addEventListener("htmx:afterSettle", function () {
    if (!sent) return;
    var el = document.getElementById(sent);
    sent = null;
    if (!el) return;
    if (el.id === "baru") {
      var first = el.querySelector("[data-new-first]");
      if (first) first.focus();
    } else if (el.classList.contains("fixing")) {
      var field = el.querySelector("[data-fix] input:not([type=hidden])");
      if (field) field.focus();
    } else if (el.classList.contains("has-error")) {
      focusMark(el.querySelector("[data-mark]"));
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
      // Cancel a correction: show the page again at this row.
      var row = rowOf(t);
      if (row) window.location.hash = row.id;
      window.location.reload();
    }
  });
  document.addEventListener("DOMContentLoaded", function () {
    // Start at the row named in the address, or at the first voter without a mark.
    var target = window.location.hash ? document.getElementById(window.location.hash.slice(1)) : null;
    var input = target ? target.querySelector("[data-mark]") : null;
    if (!input) {
      input = marks().filter(function (m) { return !m.value; })[0] || marks()[0];
    }
    focusMark(input);
  });
})();
