"""Writes on accounts. Each runs in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from obole.accounts.models import Account
from obole.accounts.validators import validate_username
from obole.lib.addresses import client_address_from_meta
from obole.membership.models import Membership


def client_ip(request: HttpRequest) -> str | None:
    """The address the request came from: the peer, or what a trusted proxy says (obole.lib.addresses)."""
    return client_address_from_meta(request.META, settings.OBOLE_TRUSTED_PROXIES)


def _taken() -> ValidationError:
    return ValidationError("That username is taken.", code="taken")


def create_account(
    username: str,
    password: str,
    email: str = "",
    *,
    ip: str | None = None,
    on_create: Callable[[Account], None] | None = None,
) -> Account:
    """Create an account with its (unpaid) membership; `on_create` runs in the same transaction.

    Call it outside any transaction: the password is checked and hashed first,
    and only the inserts hold a transaction. On SQLite a transaction holds the
    one write lock from its start, so a hash (a large fraction of a second)
    inside it made every other write wait, and under load fail with "database
    is locked" (found by `obole simulate`).

    Raises ValidationError with a dict of field -> messages a person can act on,
    each with its code ("taken", "reserved", "password_too_short"...) for the API;
    past the per-address sign-up limit, a form-wide error with code "throttled".
    """
    limit = settings.OBOLE_SIGNUPS_PER_IP
    if ip and limit:
        recent = Account.objects.filter(signup_ip=ip, date_joined__gt=timezone.now() - timedelta(hours=1))
        if recent.count() >= limit:
            raise ValidationError(
                {"__all__": ValidationError(
                    "Too many accounts were created from your network in the last hour. "
                    "Please try again later.",
                    code="throttled",
                )}
            )  # fmt: skip
    try:
        validate_username(username)
    except ValidationError as exc:
        raise ValidationError({"username": exc.error_list}) from None
    if Account.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": _taken()})
    account = Account(username=username, email=email, signup_ip=ip)
    try:
        validate_password(password, account)
    except ValidationError as exc:
        raise ValidationError({"password": exc.error_list}) from None
    account.set_password(password)
    try:
        with transaction.atomic():
            account.save(force_insert=True)
            Membership.objects.create(account=account)
            if on_create is not None:
                on_create(account)
    except IntegrityError:
        # Lost a race with another sign-up for the same name.
        raise ValidationError({"username": _taken()}) from None
    return account
