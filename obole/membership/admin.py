"""Staff views of memberships and money. The ledger is read-only here as everywhere."""

from django.contrib import admin

from obole.membership.models import (
    CardFingerprint,
    FraudWarning,
    Invoice,
    LedgerEntry,
    Membership,
    MembershipEvent,
)


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class EventInline(admin.TabularInline):
    model = MembershipEvent
    extra = 0
    can_delete = False
    readonly_fields = ("at", "transition", "from_state", "to_state", "reason")

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Membership)
class MembershipAdmin(ReadOnly):
    list_display = ("account", "state", "paid_until", "state_changed_at")
    list_filter = ("state",)
    search_fields = ("account__username",)
    list_select_related = ("account",)
    inlines = [EventInline]


@admin.register(Invoice)
class InvoiceAdmin(ReadOnly):
    list_display = ("id", "membership", "kind", "period_start", "amount", "currency", "status", "attempts")
    list_filter = ("status", "kind")


@admin.register(LedgerEntry)
class LedgerAdmin(ReadOnly):
    list_display = ("id", "account", "kind", "amount", "currency", "provider_ref", "created_at")
    list_filter = ("kind", "currency")
    search_fields = ("account__username", "provider_ref")


@admin.register(CardFingerprint)
class CardFingerprintAdmin(admin.ModelAdmin):
    """Staff may lift or set a block; nothing here reveals a card number (none is kept)."""

    list_display = ("fingerprint", "first_seen_at", "blocked_at", "blocked_reason")
    list_filter = (("blocked_at", admin.EmptyFieldListFilter),)
    readonly_fields = ("fingerprint", "first_seen_at")


@admin.register(FraudWarning)
class FraudWarningAdmin(admin.ModelAdmin):
    """Early fraud warnings from Stripe: the charge was refunded; staff review the account, then mark it."""

    list_display = ("account", "fraud_type", "charge_ref", "created_at", "reviewed_at")
    list_filter = (("reviewed_at", admin.EmptyFieldListFilter), "fraud_type")
    readonly_fields = ("account", "warning_id", "charge_ref", "fraud_type", "created_at")

    def has_add_permission(self, request, obj=None) -> bool:
        return False
