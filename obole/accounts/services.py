"""Writes on accounts. Each runs in one transaction."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from obole.accounts.models import Account
from obole.accounts.validators import validate_username
from obole.membership.models import Membership


def create_account(username: str, password: str, email: str = "") -> Account:
    """Create an account with its (unpaid) membership.

    Raises ValidationError with a dict of field -> messages a person can act on.
    """
    try:
        validate_username(username)
    except ValidationError as exc:
        raise ValidationError({"username": exc.messages}) from None
    if Account.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": "That username is taken."})
    account = Account(username=username, email=email)
    try:
        validate_password(password, account)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from None
    account.set_password(password)
    try:
        with transaction.atomic():
            account.save(force_insert=True)
            Membership.objects.create(account=account)
    except IntegrityError:
        # Lost a race with another sign-up for the same name.
        raise ValidationError({"username": "That username is taken."}) from None
    return account
