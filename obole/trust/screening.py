"""Sign-up and payment screening: limits, policies and the configured rules.

Each check has its own setting and every time one fires it is counted per day
(`counters.hit`), which is what `obole trust stats` and the staff dashboard
show. Limits are taken as slots in atomic counters (counters.py), so requests
racing each other cannot get past them together.

Sign-up (`admit_signup`, called by obole.accounts.services.create_account):
  per address and per network (/24, /64) per hour; disposable e-mail domains
  (the maintained `disposable-email-domains` list); the rules.
Payment (`admit_payment`, called by obole.membership.velocity):
  failed attempts per account, address, network and card fingerprint per
  hour; prepaid policy; card country against the account's; the rules.

"review" never refuses: it lets the sign-up or payment through and puts the
account in the moderation queue with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError

from obole.lib.addresses import network_of
from obole.lib.rules import NAMES, SIGNUP_NAMES, Rule, parse_rules
from obole.trust import counters
from obole.trust.counters import Exceeded, Slot


@cache
def _rules(text: str) -> list[Rule]:
    return parse_rules(text, NAMES)


def rules() -> list[Rule]:
    """The configured rules (checked when settings are read; a bad rule stops start-up)."""
    return _rules(settings.OBOLE_TRUST_RULES)


@cache
def _disposable() -> frozenset[str]:
    from disposable_email_domains import blocklist

    return frozenset(blocklist)


def email_domain(email: str) -> str:
    return email.rsplit("@", 1)[1].strip().lower() if "@" in email else ""


def is_disposable(email: str) -> bool:
    domain = email_domain(email)
    return bool(domain) and domain in _disposable()


@dataclass
class Verdict:
    """What screening found: slots to give back if the thing fails, reasons to review."""

    slots: list[Slot] = field(default_factory=list)
    review: list[str] = field(default_factory=list)

    def release(self) -> None:
        for slot in self.slots:
            slot.release()
        self.slots = []


def _apply_rules(values: dict[str, Any], verdict: Verdict, now: datetime) -> str | None:
    """Count every rule that fires; return the text of the first blocking one."""
    blocked = None
    for rule in rules():
        if rule.applies(values):
            counters.hit(f"rule: {rule.text}", now.date())
            if rule.action == "block":
                blocked = blocked or rule.text
            else:
                verdict.review.append(f"rule: {rule.text}")
    return blocked


# The name a refusal by a configured rule carries: the rule's text is counted in
# RuleHit for staff, and not told to whoever was refused.
SCREENING_RULE = "screening_rule"


# --- Sign-up ---------------------------------------------------------------


def _refused(
    message: str, code: str, rule: str, now: datetime, field_name: str = "__all__"
) -> ValidationError:
    """The sign-up refusal, counted as bot pressure; `rule` travels in the error's params to the answer."""
    counters.refused(counters.SIGN_UP, rule, now.date())
    return ValidationError({field_name: ValidationError(message, code=code, params={"rule": rule})})


def admit_signup(*, ip: str | None, email: str, country: str, now: datetime) -> Verdict:
    """Screen a sign-up. Raises ValidationError (code "throttled", "disposable" or "refused")."""
    verdict = Verdict()
    disposable = is_disposable(email)
    if disposable and settings.OBOLE_DISPOSABLE_EMAIL != "allow":
        counters.hit("disposable_email", now.date())
        if settings.OBOLE_DISPOSABLE_EMAIL == "deny":
            raise _refused(
                "Addresses at this e-mail provider are not accepted; please use another address.",
                "disposable",
                "disposable_email",
                now,
                "email",
            )
        verdict.review.append("disposable_email")
    values: dict[str, Any] = {
        "email_domain": email_domain(email),
        "email_disposable": disposable,
        "country": country,
    }
    if ip:
        network = network_of(ip)
        try:
            verdict.slots = counters.take(
                [
                    ("signups_per_ip", f"signup:ip:{ip}", settings.OBOLE_SIGNUPS_PER_IP),
                    ("signups_per_network", f"signup:net:{network}", settings.OBOLE_SIGNUPS_PER_NETWORK),
                ],
                now,
            )
        except Exceeded as exceeded:
            counters.hit(exceeded.name, now.date())
            raise _refused(
                "Too many accounts were created from your network in the last hour. Please try again later.",
                "throttled",
                exceeded.name,
                now,
            ) from None
        values["signups_per_ip_per_hour"] = counters.value(f"signup:ip:{ip}", now)
        values["signups_per_network_per_hour"] = counters.value(f"signup:net:{network}", now)
    if _apply_rules({k: v for k, v in values.items() if k in SIGNUP_NAMES}, verdict, now):
        verdict.release()
        raise _refused("Sign-ups like this one are not accepted right now.", "refused", SCREENING_RULE, now)
    return verdict


# --- Payment ----------------------------------------------------------------


class PaymentRefused(Exception):
    """A payment screening refusal; `reason` is counted in PaymentAttempt.reason, `rule`
    (the check's own name, as counters.hit counts it) in the answer and the bot-pressure counts."""

    def __init__(self, message: str, reason: str, *, rule: str = "", status: int = 422, seconds: int = 0):
        super().__init__(message)
        self.reason = reason
        self.rule = rule or reason
        self.status = status
        self.seconds = seconds


@dataclass
class PaymentGate(Verdict):
    """One payment attempt's place under the failure limits, and what screening found."""

    account_id: int = 0
    account_country: str = ""
    account_age_hours: int = 0
    ip: str | None = None
    now: datetime | None = None
    fingerprints: set[str] = field(default_factory=set)

    def _failures(self, name: str, key: str, limit: int) -> None:
        assert self.now is not None
        try:
            self.slots += counters.take([(name, key, limit)], self.now)
        except Exceeded as exceeded:
            counters.hit(exceeded.name, self.now.date())
            minutes = max(1, -(-exceeded.seconds // 60))
            raise PaymentRefused(
                f"Too many failed payment attempts. Please wait {minutes} minutes and try again.",
                "too_many_attempts",
                rule=exceeded.name,
                status=429,
            ) from None

    def card_seen(self, fingerprint: str) -> None:
        """Count this attempt against the card's failure limit too (once per card)."""
        if fingerprint in self.fingerprints:
            return
        self.fingerprints.add(fingerprint)
        self._failures(
            "failures_per_card", f"payfail:card:{fingerprint}", settings.OBOLE_PAYMENT_FAILURES_PER_CARD
        )

    def screen(self, card: Any) -> None:
        """Check an attached card (an obole.membership.cards.CardSummary) before it is charged."""
        assert self.now is not None
        self.card_seen(card.fingerprint)
        today = self.now.date()
        if card.funding == "prepaid" and settings.OBOLE_PREPAID_CARDS != "allow":
            counters.hit("prepaid_card", today)
            if settings.OBOLE_PREPAID_CARDS == "deny":
                raise PaymentRefused(
                    "Prepaid cards are not accepted; please use a credit or debit card.",
                    "prepaid",
                    rule="prepaid_card",
                )
            self.review.append("prepaid_card")
        country = getattr(card, "country", "")
        mismatch = bool(country and self.account_country) and country != self.account_country
        if mismatch and settings.OBOLE_CARD_COUNTRY_MISMATCH != "allow":
            counters.hit("card_country_mismatch", today)
            if settings.OBOLE_CARD_COUNTRY_MISMATCH == "deny":
                raise PaymentRefused(
                    "Cards issued outside your country are not accepted.",
                    "card_country",
                    rule="card_country_mismatch",
                )
            self.review.append(f"card_country_mismatch: card {country}, account {self.account_country}")
        values = {
            "funding": card.funding,
            "brand": card.brand,
            "card_country": country,
            "account_country": self.account_country,
            "country": self.account_country,
            "failed_attempts_per_card": counters.value(f"payfail:card:{card.fingerprint}", self.now),
            "account_age_hours": self.account_age_hours,
        }
        if self.ip:
            values["cards_per_ip_per_hour"] = counters.value(f"pay:ip:{self.ip}", self.now)
            values["cards_per_network_per_hour"] = counters.value(f"pay:net:{network_of(self.ip)}", self.now)
        blocked = _apply_rules(values, self, self.now)
        if blocked:
            raise PaymentRefused("This card cannot be used on Obole right now.", "rule", rule=SCREENING_RULE)

    def succeeded(self) -> None:
        """Only failures count against the failure limits: give the slots back."""
        self.release()


def admit_payment(account: Any, ip: str | None, now: datetime, card_number: str | None = None) -> PaymentGate:
    """Take this attempt's slots under the failure limits before the provider is asked.

    A slot is held while the attempt runs and kept if it fails, so of twenty
    attempts racing each other no more than the limit ever reach the provider.
    """
    age = int((now - account.date_joined).total_seconds() // 3600) if account.date_joined else 0
    gate = PaymentGate(account_id=account.pk, account_country=account.country or "", ip=ip, now=now)
    gate.account_age_hours = max(0, age)
    try:
        gate._failures(
            "failures_per_account", f"payfail:acct:{account.pk}", settings.OBOLE_PAYMENT_FAILURES_PER_ACCOUNT
        )
        if ip:
            gate._failures("failures_per_ip", f"payfail:ip:{ip}", settings.OBOLE_PAYMENT_FAILURES_PER_IP)
            gate._failures(
                "failures_per_network",
                f"payfail:net:{network_of(ip)}",
                settings.OBOLE_PAYMENT_FAILURES_PER_NETWORK,
            )
        if card_number:
            from obole.membership.cards import fingerprint, normalize_number

            gate.card_seen(fingerprint(normalize_number(card_number)))
    except PaymentRefused:
        gate.release()
        raise
    if ip:
        # Every attempt, failed or not, for the cards_per_*_per_hour rule values.
        counters.add(f"pay:ip:{ip}", now)
        counters.add(f"pay:net:{network_of(ip)}", now)
    return gate
