"""Signed webhooks from payment providers."""

from __future__ import annotations

import logging

from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from obole.api.endpoints import error
from obole.membership import services
from obole.membership.errors import MembershipError
from obole.membership.providers import get_provider
from obole.membership.providers.base import WebhookError

log = logging.getLogger("obole.api")


@csrf_exempt
@require_POST
def receive(request: HttpRequest, provider: str) -> JsonResponse:
    active = get_provider()
    if provider != active.name:
        return error(404, f"This server does not take {provider} webhooks.")
    try:
        event = active.parse_webhook(request.body, request.headers)
    except WebhookError as exc:
        log.warning("refused %s webhook: %s", provider, exc)
        return error(400, str(exc))
    if active.name == "stripe":
        from obole.membership import stripe_webhooks

        try:
            applied = stripe_webhooks.apply(active, event, now=timezone.now())
        except WebhookError as exc:
            log.warning("refused %s webhook: %s", provider, exc)
            return error(400, str(exc))
        except MembershipError as exc:
            return error(exc.status, exc.message)
    else:
        applied = services.apply_event(event, provider=active.name, now=timezone.now())
    return JsonResponse({"received": True, "duplicate": not applied})
