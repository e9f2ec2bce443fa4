"""The trust tables in Django's admin, read-only: moderators act through /staff/moderation, which audits."""

from django.contrib import admin

from obole.membership.admin import ReadOnly
from obole.trust.models import AuditEntry, Report, RuleHit, Standing


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnly):
    list_display = ("created_at", "actor", "action", "target_account", "target_status_id", "reason")
    list_filter = ("action",)
    list_select_related = ("actor", "target_account")


@admin.register(Report)
class ReportAdmin(ReadOnly):
    list_display = ("id", "created_at", "reporter", "target", "category", "source", "resolved_at")
    list_filter = ("category",)
    list_select_related = ("reporter", "target")


@admin.register(Standing)
class StandingAdmin(ReadOnly):
    list_display = ("account", "score", "scored_at", "throttled_at", "holding_at")
    list_select_related = ("account",)


@admin.register(RuleHit)
class RuleHitAdmin(ReadOnly):
    list_display = ("day", "rule", "count")
    list_filter = ("rule",)
