from django.conf import settings
from django.http import HttpRequest

from obole.membership.plans import plan_for


def obole(request: HttpRequest) -> dict:
    account = getattr(request, "user", None)
    country = account.country if account is not None and account.is_authenticated else ""
    return {
        "plan": plan_for(country),
        "sandbox": settings.OBOLE_PAYMENT_PROVIDER == "sandbox",
        "registration_open": settings.OBOLE_REGISTRATION_OPEN,
    }
