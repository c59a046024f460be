// The order page's payment box (a file, not an inline script: the CSP allows no inline script). The box's data-mode
// says what to do: "wait" for payments to hear of the order, "resume" an attempt in flight, or show the "card" field.
(function () {
  "use strict";
  var box = document.getElementById("payment");
  if (!box) { return; }
  var statusEl = document.getElementById("payment-status");
  var form = document.getElementById("payment-form");
  var errorEl = document.getElementById("payment-error");
  var button = document.getElementById("pay-button");

  function headers() {
    return {"Content-Type": "application/json", "Accept": "application/json",
            "X-CSRFToken": box.dataset.csrfToken};
  }
  function showError(message) {
    if (!form) { window.location.reload(); return; }  // the card field appears once the order is payable again
    errorEl.textContent = message;
    statusEl.textContent = "";
    button.disabled = false;
  }
  function firstError(data) {
    return (data && data.errors && data.errors[0] && data.errors[0].message) || "Payment failed; please try again";
  }
  function markPaid() {
    statusEl.innerHTML = "<strong class=\"paid\">Paid</strong> <span class=\"muted\"></span>";
    statusEl.lastChild.textContent = box.dataset.amountText + " · just now";
    statusEl.classList.add("paid-box");
    var banner = box.querySelector(".demo-banner");
    if (banner) { banner.remove(); }
    if (form) { form.remove(); form = null; }
  }
  function getJSON(url) {
    return fetch(url, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(function (r) { return r.json().then(function (data) { return {status: r.status, data: data}; }); });
  }
  // Poll until payments has recorded the outcome (the webhook usually lands within a second or two).
  function poll(paymentId, triesLeft) {
    getJSON(box.dataset.statusUrl).then(function (answer) {
      var data = answer.data;
      if (data.paid) { markPaid(); return; }
      var attempt = (data.payments || []).filter(function (p) { return p.id === paymentId; })[0];
      if (attempt && attempt.status === "failed") { showError("The payment failed; please try again"); return; }
      if (triesLeft > 0) { setTimeout(function () { poll(paymentId, triesLeft - 1); }, 1000); }
      else { statusEl.textContent = "Still waiting for the payment to be confirmed — reload the page in a moment."; }
    }).catch(function () {
      if (triesLeft > 0) { setTimeout(function () { poll(paymentId, triesLeft - 1); }, 2000); }
    });
  }
  // Ask the server to record what Stripe says; it hands back the client secret while 3-D Secure is still due.
  function sync(paymentId) {
    return fetch(box.dataset.syncUrl.replace("PAYMENT_ID", paymentId),
                 {method: "POST", headers: headers(), credentials: "same-origin", body: "{}"})
      .then(function (r) { return r.json(); });
  }

  if (box.dataset.mode === "wait") {
    // Payments hears of a new order through an event, usually within a second: wait for it, then show the form.
    (function wait(triesLeft) {
      getJSON(box.dataset.statusUrl).then(function (answer) {
        if (answer.status !== 404) { window.location.reload(); return; }
        if (triesLeft > 0) { setTimeout(function () { wait(triesLeft - 1); }, 1000); }
        else { statusEl.textContent = "This order cannot be paid yet — reload the page in a moment."; }
      });
    })(30);
    return;
  }

  var stripe = Stripe(box.dataset.publishableKey);
  // 3-D Secure: the buyer confirms in Stripe's dialog, then the server records what Stripe says.
  window.paymentsPay = function (clientSecret, paymentId) {
    statusEl.textContent = "Confirm the payment with your bank…";
    return stripe.confirmCardPayment(clientSecret).then(function (result) {
      if (result.error) { statusEl.textContent = result.error.message; }
      return sync(paymentId).then(function () { poll(paymentId, 60); });
    });
  };

  if (box.dataset.mode === "resume") {
    // Back on the page while an attempt is open (e.g. reloaded during 3-D Secure): resume it, never start another.
    var pendingId = box.dataset.pendingId;
    sync(pendingId).then(function (data) {
      var payment = data.payment || {};
      if (payment.clientSecret) { return window.paymentsPay(payment.clientSecret, payment.id); }
      poll(pendingId, 60);
    });
    return;
  }

  var card = stripe.elements().create("card");
  card.mount("#card-element");
  // The demo's stand-in card field has bare inputs: name each one for screen readers (live Stripe names its own).
  Array.prototype.forEach.call(document.querySelectorAll("#card-element input"), function (input) {
    if (!input.getAttribute("aria-label") && input.placeholder) {
      input.setAttribute("aria-label", "Card " + input.placeholder.replace("_", " "));
    }
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    button.disabled = true;
    errorEl.textContent = "";
    statusEl.textContent = "Processing…";
    stripe.createToken(card).then(function (result) {
      if (result.error) { showError(result.error.message); return; }
      return fetch(box.dataset.payUrl, {method: "POST", headers: headers(), credentials: "same-origin",
                                        body: JSON.stringify({token: result.token.id})})
        .then(function (r) { return r.json().then(function (data) { return {ok: r.ok, data: data}; }); })
        .then(function (answer) {
          if (!answer.ok) { showError(firstError(answer.data)); return; }
          var payment = answer.data.payment;
          if (payment.status === "succeeded") { markPaid(); return; }
          if (payment.clientSecret) { return window.paymentsPay(payment.clientSecret, payment.id); }
          poll(payment.id, 60);
        });
    }).catch(function () { showError("Could not reach the server; please try again"); });
  });
})();
