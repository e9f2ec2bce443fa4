"""The membership state machine, declared as data.

    pending_payment ──pay──▶ active ──renewal fails──▶ past_due ──retries exhausted──▶ lapsed
                               ▲ │                       │                               │
                               │ └──cancel──▶ canceled ──period ends──▶ expired          │
                               └──────────── pay again (from past_due, lapsed, expired) ─┘
    banned: from anywhere; unban returns to expired (pay again to write).

`canceled` means "canceled at period end": the member has paid through
`paid_until` and keeps writing until then (docs/architecture.md rule 5: cancelling
keeps the member writing until the paid period ends); `resume` undoes it before that
moment. Writes are allowed in `active`, in `canceled` before `paid_until`, and in
`past_due` inside the grace period (see obole.membership.permissions).

Every transition is a method on Membership that consults TRANSITIONS; anything
not declared here raises IllegalTransition.
"""

from __future__ import annotations

from dataclasses import dataclass

PENDING_PAYMENT = "pending_payment"
ACTIVE = "active"
PAST_DUE = "past_due"
LAPSED = "lapsed"
CANCELED = "canceled"
EXPIRED = "expired"
BANNED = "banned"

STATES = (PENDING_PAYMENT, ACTIVE, PAST_DUE, LAPSED, CANCELED, EXPIRED, BANNED)
CHOICES = [(state, state.replace("_", " ")) for state in STATES]


@dataclass(frozen=True)
class Transition:
    name: str
    sources: frozenset[str]
    target: str


def _t(name: str, sources: set[str], target: str) -> Transition:
    return Transition(name, frozenset(sources), target)


TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in (
        # A first payment, or paying again after the membership ran out.
        _t("activate", {PENDING_PAYMENT, LAPSED, EXPIRED}, ACTIVE),
        # A period was paid: the renewal charge, or a retry while past due.
        _t("renew", {ACTIVE, PAST_DUE}, ACTIVE),
        _t("mark_past_due", {ACTIVE}, PAST_DUE),
        _t("lapse", {PAST_DUE}, LAPSED),
        _t("cancel", {ACTIVE, PAST_DUE}, CANCELED),
        _t("resume", {CANCELED}, ACTIVE),
        _t("expire", {CANCELED}, EXPIRED),
        _t("ban", set(STATES) - {BANNED}, BANNED),
        _t("unban", {BANNED}, EXPIRED),
    )
}


class IllegalTransition(Exception):
    def __init__(self, transition: str, state: str):
        super().__init__(f"cannot {transition.replace('_', ' ')} a membership that is {state}")
        self.transition = transition
        self.state = state


def check(transition: str, state: str) -> str:
    """Return the target state of `transition` from `state`, or raise IllegalTransition."""
    declared = TRANSITIONS[transition]
    if state not in declared.sources:
        raise IllegalTransition(transition, state)
    return declared.target
