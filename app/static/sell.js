// The sell form: without JavaScript the new-event fields are always there; with it they show only when "A new event"
// is chosen, and the venue's time zone starts as this device's own.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var select = document.getElementById("event"), box = document.getElementById("new-event");
    var zone = document.getElementById("event_zone");
    if (!select || !box) { return; }
    function sync() { box.hidden = select.value !== "new"; }
    select.addEventListener("change", sync);
    sync();
    try {
      var here = Intl.DateTimeFormat().resolvedOptions().timeZone;
      if (zone && zone.value === "UTC" && here && zone.querySelector('option[value="' + here + '"]')) { zone.value = here; }
    } catch (e) { /* keep UTC */ }
  });
})();
