"""Writes on accounts. Each runs in one transaction."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from obole.accounts.models import Account
from obole.accounts.validators import validate_username
from obole.lib.addresses import client_address_from_meta
from obole.trust import screening


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
    past the per-address or per-network sign-up limit, a form-wide error with code "throttled";
    a disposable e-mail address (if refused), an "email" error with code "disposable".
    """
    try:
        validate_username(username)
    except ValidationError as exc:
        raise ValidationError({"username": exc.error_list}) from None
    if Account.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": _taken()})
    longest = Account._meta.get_field("email").max_length
    if len(email) > longest:
        raise ValidationError(
            {"email": ValidationError(f"is too long (maximum is {longest} characters)", code="max_length")}
        )
    account = Account(username=username, email=email, signup_ip=ip)
    try:
        validate_password(password, account)
    except ValidationError as exc:
        raise ValidationError({"password": exc.error_list}) from None
    account.set_password(password)
    # Per-address and per-network limits, disposable e-mail, rules: taken atomically
    # (obole.trust.screening), given back if the account is not made after all.
    verdict = screening.admit_signup(ip=ip, email=email, country=account.country, now=timezone.now())
    try:
        with transaction.atomic():
            account.save(force_insert=True)  # with its membership (Account.save)
            if on_create is not None:
                on_create(account)
    except IntegrityError:
        verdict.release()
        # Lost a race with another sign-up for the same name.
        raise ValidationError({"username": _taken()}) from None
    except BaseException:
        verdict.release()
        raise
    if verdict.review:
        from obole.trust.moderation import flag

        flag(account, "; ".join(verdict.review), now=timezone.now())
    return account
