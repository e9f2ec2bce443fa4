"""Every declared transition works and is logged; every undeclared one raises."""

from __future__ import annotations

from datetime import timedelta

import pytest

from obole.membership import states
from obole.membership.models import MembershipEvent
from obole.membership.states import IllegalTransition
from tests.conftest import NOW, make_account

LATER = NOW + timedelta(days=30)

CALLS = {
    "activate": lambda m: m.activate(anchor=NOW, paid_until=LATER, now=NOW),
    "renew": lambda m: m.renew(paid_until=LATER, now=NOW),
    "mark_past_due": lambda m: m.mark_past_due(now=NOW, reason="card_declined"),
    "lapse": lambda m: m.lapse(now=NOW),
    "cancel": lambda m: m.cancel(now=NOW),
    "resume": lambda m: m.resume(now=NOW),
    "expire": lambda m: m.expire(now=NOW),
    "ban": lambda m: m.ban(now=NOW, reason="spam"),
    "unban": lambda m: m.unban(now=NOW),
}

PAIRS = [(name, state) for name in states.TRANSITIONS for state in states.STATES]


def test_every_transition_has_a_method():
    assert set(CALLS) == set(states.TRANSITIONS)


def test_the_declared_graph_is_the_designed_one():
    edges = {(t.name, s, t.target) for t in states.TRANSITIONS.values() for s in t.sources}
    assert ("activate", "pending_payment", "active") in edges
    assert ("mark_past_due", "active", "past_due") in edges
    assert ("lapse", "past_due", "lapsed") in edges
    assert ("cancel", "active", "canceled") in edges
    assert ("expire", "canceled", "expired") in edges
    assert all(("ban", s, "banned") in edges for s in states.STATES if s != "banned")
    # Nothing leaves banned except an explicit unban.
    assert [e for e in edges if e[1] == "banned"] == [("unban", "banned", "expired")]


@pytest.mark.django_db
@pytest.mark.parametrize(("transition", "state"), PAIRS, ids=[f"{t}-from-{s}" for t, s in PAIRS])
def test_transition(transition, state):
    account = make_account("someone")
    membership = account.membership
    membership.state = state
    membership.save()
    declared = states.TRANSITIONS[transition]
    if state in declared.sources:
        CALLS[transition](membership)
        membership.refresh_from_db()
        assert membership.state == declared.target
        event = MembershipEvent.objects.get(membership=membership)
        assert (event.transition, event.from_state, event.to_state) == (transition, state, declared.target)
    else:
        with pytest.raises(IllegalTransition):
            CALLS[transition](membership)
        membership.refresh_from_db()
        assert membership.state == state  # nothing half-written
        assert not MembershipEvent.objects.filter(membership=membership).exists()
