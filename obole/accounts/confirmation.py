"""Email confirmation links (asked for only when OBOLE_EMAIL_CONFIRMATION is on).

A link is a signed token of the account id and the address it was sent to,
valid for a week. It does not depend on the password or the last log-in, so
signing in again does not break it; changing the address does.
"""

from __future__ import annotations

from django.core import signing
from django.core.mail import send_mail

from obole.accounts.models import Account

_SALT = "obole.accounts.confirm-email"
MAX_AGE_SECONDS = 7 * 24 * 3600


def make_token(account: Account) -> str:
    return signing.dumps({"id": account.pk, "email": account.email}, salt=_SALT, compress=True)


def account_for_token(token: str) -> Account | None:
    """The account a valid, unexpired token confirms; None otherwise."""
    try:
        data = signing.loads(token, salt=_SALT, max_age=MAX_AGE_SECONDS)
    except signing.BadSignature:  # includes SignatureExpired
        return None
    account = Account.objects.filter(pk=data.get("id")).first()
    if account is None or account.email != data.get("email"):
        return None
    return account


def send_confirmation(account: Account, link: str) -> None:
    send_mail(
        "Confirm your Obole account",
        f"Hello @{account.username},\n\nFollow this link within a week to confirm your email address:\n\n"
        f"{link}\n\nIf you did not sign up for Obole, ignore this email.\n",
        None,
        [account.email],
    )
