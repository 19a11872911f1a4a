// Pantau Coklit dashboard: says when the live figures were last checked, in the election's zone.
// The figures' own time ("Angka per 14.05 WIB") comes from the server; this only adds when the
// browser last asked (a 304 answer leaves the figures, and their time, as they were).
(function () {
  "use strict";
  function stamp(ok) {
    var live = document.getElementById("live");
    if (!live) return;
    var checked = live.querySelector(".checked");
    var at = live.querySelector(".checked-at");
    if (!checked || !at) return;
    try {
      at.textContent = new Intl.DateTimeFormat("id-ID", {
        hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false,
        timeZone: live.dataset.tz
      }).format(new Date()).replace(/:/g, ".");
    } catch (e) {
      return;
    }
    checked.hidden = false;
    live.classList.toggle("offline", !ok);
  }
  document.addEventListener("DOMContentLoaded", function () { stamp(true); });
  document.addEventListener("htmx:afterSettle", function (e) {
    if (e.target && e.target.id === "live") stamp(true);
  });
  document.addEventListener("htmx:sendError", function () {
    var live = document.getElementById("live");
    if (live) live.classList.add("offline");
  });
})();
