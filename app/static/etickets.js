// E-ticket and door pages, enhanced where the browser can: a Print button, and camera scanning at the door through
// the browser's own BarcodeDetector (no library, no CDN). Without this script both pages work as they are.
(function () {
  "use strict";

  function printButton() {
    var button = document.getElementById("print-eticket");
    if (!button) { return; }
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  }

  function cameraScanning() {
    var button = document.getElementById("camera-scan");
    var video = document.getElementById("camera");
    var form = document.getElementById("door-form");
    if (!button || !video || !form || !("BarcodeDetector" in window) || !navigator.mediaDevices) { return; }
    var input = form.querySelector("input[name=code]");
    button.hidden = false;
    button.addEventListener("click", function () {
      var detector = new window.BarcodeDetector({formats: ["qr_code"]});
      navigator.mediaDevices.getUserMedia({video: {facingMode: "environment"}}).then(function (stream) {
        video.srcObject = stream;
        video.hidden = false;
        button.hidden = true;
        return video.play().then(function () { look(detector, stream); });
      }).catch(function () {
        button.textContent = "The camera is not available";
        button.disabled = true;
      });
    });

    function look(detector, stream) {
      detector.detect(video).then(function (codes) {
        if (codes.length && codes[0].rawValue) {
          stream.getTracks().forEach(function (track) { track.stop(); });
          input.value = codes[0].rawValue;
          form.submit();
          return;
        }
        setTimeout(function () { look(detector, stream); }, 200);
      }).catch(function () { setTimeout(function () { look(detector, stream); }, 500); });
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    printButton();
    cameraScanning();
  });
})();
