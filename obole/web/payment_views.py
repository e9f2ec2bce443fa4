"""The Stripe parts of the membership pages: a SetupIntent for Stripe.js, and the page that
completes a payment the bank wants the member present for (3-D Secure).

No page has inline script: obole/web/static/obole/stripe.js reads what it needs
(publishable key, URLs, client secret) from data- attributes, so a
Content-Security-Policy can allow scripts by origin only.
"""

from __future__ import annotations

import stripe
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from obole.accounts.models import Account
from obole.membership import invoices, states
from obole.membership.models import Invoice
from obole.membership.models import invoice as inv
from obole.membership.providers import get_provider
from obole.membership.providers.stripe import UNREACHABLE, invoice_attempt, result_of


def stripe_page_settings() -> dict:
    return {"publishable_key": settings.OBOLE_STRIPE_PUBLISHABLE_KEY, "js_url": settings.OBOLE_STRIPE_JS_URL}


def waiting_invoice(account: Account) -> Invoice | None:
    """The invoice whose payment waits for the member to confirm it, if any."""
    return (
        Invoice.objects.filter(membership_id=account.pk, status=inv.OPEN, next_attempt_at=None)
        .filter(last_error=invoices.AUTHENTICATION)
        .exclude(pending_ref="")
        .order_by("-period_start")
        .first()
    )


@login_required
@require_POST
def setup_intent(request: HttpRequest) -> JsonResponse:
    """A SetupIntent's client secret for the card the member is about to enter (Stripe.js confirms it)."""
    provider = get_provider()
    if provider.name != "stripe":
        return JsonResponse({"error": "This server does not take cards through Stripe."}, status=404)
    if request.user.membership.state == states.BANNED:
        return JsonResponse({"error": "This account is banned and cannot pay for a membership."}, status=403)
    try:
        secret = provider.setup_intent(request.user)
    except stripe.StripeError:
        return JsonResponse({"error": UNREACHABLE}, status=503)
    return JsonResponse({"client_secret": secret})


@login_required
def confirm(request: HttpRequest, invoice_id: int) -> HttpResponse:
    """GET: the page where Stripe.js asks the bank to confirm; POST: that it is done — check and record."""
    invoice = Invoice.objects.filter(pk=invoice_id, membership_id=request.user.pk).first()
    provider = get_provider()
    if invoice is None or provider.name != "stripe":
        raise Http404("No such payment.")
    if invoice.status == inv.PAID:
        messages.success(request, "This payment is complete.")
        return redirect("membership")
    if invoice.pending_ref == "" or invoice.last_error != invoices.AUTHENTICATION:
        raise Http404("This payment is not waiting for you.")
    intent = provider.client.v1.payment_intents.retrieve(invoice.pending_ref).to_dict()
    if invoice_attempt(intent.get("metadata")) != (invoice.pk, invoice.attempts):
        raise Http404("This payment is not waiting for you.")
    # The browser only says "done"; what Stripe says about the intent is what counts.
    if request.method == "POST" and intent["status"] in ("succeeded", "requires_payment_method", "canceled"):
        result = result_of(intent)
        recorded = invoices.settle_waiting(invoice.pk, invoice.attempts, result, now=timezone.now())
        if recorded is not None and recorded.status == inv.PAID:
            messages.success(request, "Thank you — your membership is active.")
            return redirect("home")
        messages.error(request, "The payment was not confirmed. Try again, or add another card.")
        return redirect("membership")
    context = {
        "invoice": invoice,
        "client_secret": intent["client_secret"],
        "payment_method": invoice.membership.payment_method.provider_ref
        if invoice.membership.payment_method
        else "",
        "stripe": stripe_page_settings(),
        "section": "membership",
    }
    return render(request, "web/membership_confirm.html", context)
