"""The Account: one person (or one bot) on the network."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Lower

from obole.accounts.validators import USERNAME_MAX_LENGTH, validate_username
from obole.lib.snowflake import next_id


class AccountManager(UserManager):
    def get_by_natural_key(self, username: str) -> Account:
        # Log-in is case-insensitive, like the uniqueness of usernames.
        return self.get(username__iexact=username)


class Account(AbstractUser):
    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    username = models.CharField(
        max_length=USERNAME_MAX_LENGTH,
        unique=True,
        validators=[validate_username],
        error_messages={"unique": "That username is taken."},
    )
    email = models.EmailField(blank=True)
    # Set when the member follows the confirmation link (only asked for when
    # OBOLE_EMAIL_CONFIRMATION is on).
    email_confirmed_at = models.DateTimeField(null=True, blank=True)
    # ISO 3166 alpha-2, used to pick a per-country price when one is configured.
    country = models.CharField(max_length=2, blank=True)
    # Where the sign-up came from, for the per-address sign-up limit.
    signup_ip = models.GenericIPAddressField(null=True, blank=True)

    objects = AccountManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("username"), name="account_username_ci_unique"),
        ]

    def __str__(self) -> str:
        return f"@{self.username}"
