// The order page's countdown to the end of the reservation (a file, not an inline script: the CSP allows no inline).
(function () {
  "use strict";
  var el = document.getElementById("countdown");
  if (!el || el.classList.contains("expired")) { return; }
  var box = document.getElementById("countdown-box");
  var note = document.getElementById("countdown-note");
  // Count from the seconds the server computed, so a wrong clock on this device cannot shorten or stretch it.
  var deadline = Date.now() + Number(el.dataset.secondsLeft) * 1000;
  var timer = null;
  function pad(n) { return n < 10 ? "0" + n : String(n); }
  function tick() {
    var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    if (left <= 0) {
      el.textContent = "expired";
      el.classList.add("expired");
      box.classList.add("expired");
      note.textContent = "This reservation has expired; the ticket is for sale again.";
      var pay = document.getElementById("payment-form");
      if (pay) { pay.remove(); }
      clearInterval(timer);
      return;
    }
    var h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
    el.textContent = (h ? h + ":" + pad(m) : String(m)) + ":" + pad(s);
  }
  timer = setInterval(tick, 1000);
  tick();
})();
