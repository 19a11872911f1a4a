// Pantau Coklit dashboard (no inline script: CSP). It
// - says when the live figures were last checked, in the election's zone (the figures' own time,
//   "Angka per 14.05 WIB", comes from the server; a 304 answer leaves them as they were);
// - shows a banner while polls fail ("Koneksi terputus sejak 16.59 WIB — angka mungkin usang"),
//   from the first failure until a poll is answered again;
// - keeps <details data-keep-open> open across polls (the poll replaces #live);
(function () {
  "use strict";
  var failingSince = null;
  var openDetails = {};
  try {
    openDetails = JSON.parse(sessionStorage.getItem("coklit-open-details") || "{}") || {};
  } catch (e) {
    openDetails = {};
  }

  function clockText(date, withSeconds) {
    var live = document.getElementById("live");
    var options = { hour: "2-digit", minute: "2-digit", hour12: false };
    if (withSeconds) options.second = "2-digit";
    if (live && live.dataset.tz) options.timeZone = live.dataset.tz;
    try {
      return new Intl.DateTimeFormat("id-ID", options).format(date).replace(/:/g, ".");
    } catch (e) {
      return "";
    }
  }

  function stamp() {
    var live = document.getElementById("live");
    if (!live) return;
    var checked = live.querySelector(".checked");
    var at = live.querySelector(".checked-at");
    if (!checked || !at) return;
    var text = clockText(new Date(), true);
    if (!text) return;
    at.textContent = text;
    checked.hidden = false;
  }

  function fromLive(evt) {
    // The element that asked: a swapped-out #live gets its events re-sent from its parent, with
    // detail.elt the parent; requestConfig.elt is still the poller.
    var d = evt.detail || {};
    var elt = (d.requestConfig && d.requestConfig.elt) || d.elt;
    return !!(elt && elt.id === "live");
  }

  function showOffline() {
    var banner = document.getElementById("offline-banner");
    var live = document.getElementById("live");
    if (live) live.classList.add("offline");
    if (!banner) return;
    if (failingSince === null) failingSince = new Date();
    var zone = live && live.dataset.zone ? " " + live.dataset.zone : "";
    banner.textContent = (banner.dataset.text || "%(time)s").replace(
      "%(time)s", clockText(failingSince, false) + zone
    );
    banner.hidden = false;
  }

  function showOnline() {
    failingSince = null;
    var banner = document.getElementById("offline-banner");
    if (banner) banner.hidden = true;
    var live = document.getElementById("live");
    if (live) live.classList.remove("offline");
  }

  function restoreDetails(root) {
    var all = (root || document).querySelectorAll("details[data-keep-open][id]");
    for (var i = 0; i < all.length; i++) {
      if (openDetails[all[i].id]) all[i].open = true;
    }
  }

  document.addEventListener("toggle", function (e) {
    var d = e.target;
    if (!d || d.tagName !== "DETAILS" || !d.hasAttribute("data-keep-open") || !d.id) return;
    if (d.open) openDetails[d.id] = true;
    else delete openDetails[d.id];
    try {
      sessionStorage.setItem("coklit-open-details", JSON.stringify(openDetails));
    } catch (err) { /* private mode: kept for this page only */ }
  }, true);

  document.addEventListener("DOMContentLoaded", function () {
    stamp();
    restoreDetails(document);
  });
  document.addEventListener("htmx:afterSettle", function (e) {
    restoreDetails(document);
    if (e.target && e.target.id === "live") stamp();
  });
  document.addEventListener("htmx:afterRequest", function (e) {
    if (!fromLive(e)) return;
    if (e.detail.successful) showOnline();
    else showOffline();
  });
  document.addEventListener("htmx:sendError", function (e) { if (fromLive(e)) showOffline(); });
  document.addEventListener("htmx:timeout", function (e) { if (fromLive(e)) showOffline(); });
})();
