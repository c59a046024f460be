// Small page helpers shared by every page: show times in the visitor's own time zone and keep "… ago" current.
(function () {
  "use strict";
  function local(date) {
    return date.toLocaleString(undefined, {dateStyle: "medium", timeStyle: "short"});
  }
  function ago(date) {
    var s = Math.round((Date.now() - date.getTime()) / 1000);
    if (s < 45) { return "just now"; }
    var units = [[31536000, "year"], [2592000, "month"], [86400, "day"], [3600, "hour"], [60, "minute"]];
    for (var i = 0; i < units.length; i++) {
      var n = Math.floor(s / units[i][0]);
      if (n >= 1) { return n + " " + units[i][1] + (n === 1 ? "" : "s") + " ago"; }
    }
    return "just now";
  }
  function refresh() {
    document.querySelectorAll("time[datetime]").forEach(function (el) {
      var date = new Date(el.getAttribute("datetime"));
      if (isNaN(date)) { return; }
      if (el.hasAttribute("data-local")) { el.textContent = local(date); }
      else { el.title = local(date); }
      if (el.dataset.relative === "ago") { el.textContent = ago(date); }
    });
  }
  document.addEventListener("DOMContentLoaded", function () { refresh(); setInterval(refresh, 30000); });
})();
