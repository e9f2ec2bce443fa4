from functools import cache

from django.conf import settings
from django.http import HttpRequest

from obole.membership.plans import plan_for
from obole.web.social import unread_count


def obole(request: HttpRequest) -> dict:
    account = getattr(request, "user", None)
    country = account.country if account is not None and account.is_authenticated else ""
    signed_in = account is not None and account.is_authenticated
    return {
        # Counted only when a page shows it (the navigation), once per page.
        "unread_notifications": cache(lambda: unread_count(account)) if signed_in else 0,
        "plan": plan_for(country),
        "sandbox": settings.OBOLE_PAYMENT_PROVIDER == "sandbox",
        "registration_open": settings.OBOLE_REGISTRATION_OPEN,
    }
