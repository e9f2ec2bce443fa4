"""What the Mastodon client API keeps beyond django-oauth-toolkit's own tables.

`AppRegistration` remembers what a client registered through POST /api/v1/apps
(DOT's Application has no scopes or website), so a token request cannot ask
for more than the app declared. `Marker` is a member's reading position in the
home timeline and the notifications, which Mastodon apps sync between devices.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from oauth2_provider.settings import oauth2_settings


class AppRegistration(models.Model):
    application = models.OneToOneField(
        oauth2_settings.APPLICATION_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="registration",
    )
    # Space-separated, as registered: "read write:statuses follow".
    scopes = models.CharField(max_length=1000)
    website = models.URLField(max_length=2000, blank=True)

    def __str__(self) -> str:
        return f"{self.application} ({self.scopes})"


class Marker(models.Model):
    class Timeline(models.TextChoices):
        HOME = "home"
        NOTIFICATIONS = "notifications"

    account = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="markers")
    timeline = models.CharField(max_length=16, choices=Timeline.choices)
    last_read_id = models.BigIntegerField()
    # Mastodon's lock_version: 0 when created, one more at every change.
    version = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "timeline"], name="marker_once")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.timeline} at {self.last_read_id}"

    def to_dict(self) -> dict:
        return {
            "last_read_id": str(self.last_read_id),
            "version": self.version,
            "updated_at": self.updated_at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        }
