"""Obole's membership endpoints, /api/obole/v1/membership (README, "Obole's membership API")."""

from __future__ import annotations

from pathlib import Path

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables

from obole.accounts.services import client_ip
from obole.api.endpoints import endpoint
from obole.membership import services
from obole.membership.models import Membership
from obole.membership.providers import get_provider
from obole.trust import counters


def _membership(request: HttpRequest) -> JsonResponse:
    membership = Membership.objects.select_related("account", "payment_method").get(pk=request.account.pk)
    data = membership.to_dict()
    # Apps cannot show Stripe's card form: they send the member to the web page to pay.
    data["payment_url"] = request.build_absolute_uri(reverse("membership"))
    return JsonResponse(data)


@endpoint(("GET",), scope="read:accounts")
def show(request: HttpRequest) -> JsonResponse:
    return _membership(request)


@sensitive_post_parameters("card_number", "cvc")
@sensitive_variables("source")
@endpoint(("POST",), scope="write:accounts", stage=counters.PAYMENT)
def payment_method(request: HttpRequest) -> JsonResponse:
    source = get_provider().attach_schema.model_validate(request.data)
    services.pay(request.account, source, now=timezone.now(), ip=client_ip(request))
    return _membership(request)


@endpoint(("POST",), scope="write:accounts")
def cancel(request: HttpRequest) -> JsonResponse:
    services.cancel(request.account, now=timezone.now())
    return _membership(request)


@endpoint(("POST",), scope="write:accounts")
def resume(request: HttpRequest) -> JsonResponse:
    services.resume(request.account, now=timezone.now())
    return _membership(request)


_OPENAPI = Path(__file__).parent / "openapi" / "obole.json"


@endpoint(("GET",))
def openapi(request: HttpRequest) -> HttpResponse:
    """The OpenAPI description of these endpoints (obole/api/openapi/obole.json), for client authors."""
    return HttpResponse(_OPENAPI.read_bytes(), content_type="application/json")


@endpoint(("GET",), scope="read:accounts")
def ledger(request: HttpRequest) -> JsonResponse:
    entries = request.account.ledger_entries.order_by("-id")[:100]
    return JsonResponse([entry.to_dict() for entry in entries], safe=False)
