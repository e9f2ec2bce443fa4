"""The Account: one person (or one bot) on the network, its profile and its social graph."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models, transaction
from django.db.models.functions import Lower

from obole.accounts.validators import USERNAME_MAX_LENGTH, validate_username
from obole.lib.snowflake import next_id

DISPLAY_NAME_MAX_LENGTH = 30
NOTE_MAX_LENGTH = 500


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
    # Suspended by staff (obole.trust.moderation): read-only, whatever the membership says.
    suspended_at = models.DateTimeField(null=True, blank=True)

    # The public profile. The bio is plain text; HTML is made when it is shown.
    display_name = models.CharField(max_length=DISPLAY_NAME_MAX_LENGTH, blank=True)
    note = models.TextField(max_length=NOTE_MAX_LENGTH, blank=True)
    bot = models.BooleanField(default=False)
    discoverable = models.BooleanField(default=True)
    # Defaults for new posts (Mastodon's "source" preferences).
    default_visibility = models.CharField(max_length=8, default="public")
    default_sensitive = models.BooleanField(default=False)
    default_language = models.CharField(max_length=8, blank=True)

    # Counters kept by the services that change them (one UPDATE with F() in the
    # same transaction), so that showing an account never counts rows.
    followers_count = models.PositiveIntegerField(default=0)
    following_count = models.PositiveIntegerField(default=0)
    statuses_count = models.PositiveIntegerField(default=0)
    last_status_at = models.DateTimeField(null=True, blank=True)
    # Raised by the database on every update of the row (obole.lib.row_versions).
    version = models.PositiveBigIntegerField(default=0, db_default=0, editable=False)

    objects = AccountManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("username"), name="account_username_ci_unique"),
        ]

    def __str__(self) -> str:
        return f"@{self.username}"

    def save(self, *args, **kwargs) -> None:
        """A new account is saved with its (unpaid) membership, in one transaction, however it is
        made: sign-up, `obole createsuperuser`, the admin. Every account has one, so nothing that
        reads a membership has to make one up."""
        if not self._state.adding:
            super().save(*args, **kwargs)
            return
        from obole.membership.models import Membership  # the membership app builds on this one

        with transaction.atomic():
            super().save(*args, **kwargs)
            Membership.objects.get_or_create(account=self)


class Follow(models.Model):
    """`follower` follows `target`. Accounts are unlocked: a follow takes effect at once."""

    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    follower = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="following_set")
    target = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="follower_set")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["follower", "target"], name="follow_once")]
        indexes = [models.Index(fields=["target", "follower"], name="follow_by_target")]


class Block(models.Model):
    """`account` blocks `target`: neither sees the other, and any follow between them ends."""

    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="blocks")
    target = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="blocked_by")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "target"], name="block_once")]


class Mute(models.Model):
    """`account` mutes `target`: its posts leave the timelines, optionally its notifications too."""

    id = models.BigIntegerField(primary_key=True, default=next_id, editable=False)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="mutes")
    target = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="muted_by")
    notifications = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "target"], name="mute_once")]
