// Stripe Elements on the membership pages. Loaded after Stripe.js; no inline script:
// everything this needs is in data- attributes. The card number goes from Stripe's
// field to Stripe; this page posts only the PaymentMethod id back to Obole.
(function () {
  "use strict";

  function csrf(form) {
    var field = form.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function showError(message) {
    var box = document.getElementById("card-errors");
    if (box) box.textContent = message || "";
  }

  // The membership page: a card saved through a SetupIntent, for payments without the member.
  var cardForm = document.getElementById("stripe-card-form");
  if (cardForm && typeof Stripe === "function") {
    var stripe = Stripe(cardForm.dataset.stripeKey);
    var card = stripe.elements().create("card");
    card.mount("#card-element");
    var busy = false;
    cardForm.addEventListener("submit", async function (event) {
      event.preventDefault();
      if (busy) return;
      busy = true;
      showError("");
      var button = cardForm.querySelector("button[type=submit]");
      button.disabled = true;
      try {
        var response = await fetch(cardForm.dataset.setupUrl, {
          method: "POST",
          headers: { "X-CSRFToken": csrf(cardForm) },
          credentials: "same-origin",
        });
        var body = await response.json();
        if (!response.ok) throw new Error(body.error || "The payment service cannot be reached.");
        var result = await stripe.confirmCardSetup(body.client_secret, { payment_method: { card: card } });
        if (result.error) throw new Error(result.error.message || "Your card was declined.");
        var id = result.setupIntent.payment_method;
        cardForm.querySelector("input[name=payment_method]").value = typeof id === "string" ? id : id.id;
        cardForm.submit();
      } catch (error) {
        showError(error.message);
        button.disabled = false;
        busy = false;
      }
    });
  }

  // The confirm page: the bank's check (3-D Secure) for a payment that waits for the member.
  var confirmForm = document.getElementById("stripe-confirm-form");
  if (confirmForm && typeof Stripe === "function") {
    var confirmStripe = Stripe(confirmForm.dataset.stripeKey);
    confirmForm.addEventListener("submit", async function (event) {
      event.preventDefault();
      showError("");
      var data = confirmForm.dataset.paymentMethod ? { payment_method: confirmForm.dataset.paymentMethod } : {};
      var result = await confirmStripe.confirmCardPayment(confirmForm.dataset.clientSecret, data);
      if (result.error) {
        showError(result.error.message || "The payment was not confirmed.");
      }
      // Either way the server asks Stripe how the payment stands and records it.
      confirmForm.submit();
    });
  }
})();
