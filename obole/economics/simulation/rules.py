"""Which of the server's rules stopped an actor, read from the answer it got.

The server names the rule itself when its answer has a `rule` field (the trust
rules can add one); until then the rule is recognised from the status code and
the error message, which are part of the public API. `source` says which.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from obole.economics.simulation.client import Answer

# (phase, status, words in the message, rule), first match wins; "" matches any phase.
_BY_MESSAGE = [
    ("", 429, "accounts were created", "signups_per_address"),
    ("", 429, "failed payment attempts", "payment_failures_limit"),
    ("", 429, "", "rate_limit"),
    ("sign_up", 422, "", "sign_up_invalid"),
    ("payment", 422, "already pays for another", "one_card_per_account"),
    ("payment", 422, "cannot be used on obole", "card_blocklist"),
    ("payment", 422, "prepaid", "prepaid_cards"),
    ("payment", 422, "", "invalid_card"),
    ("payment", 402, "", "card_declined"),
    ("", 402, "lapsed", "membership_lapsed"),
    ("", 402, "grace period", "membership_lapsed"),
    ("", 402, "read-only until", "not_paid"),
    ("", 403, "banned", "banned"),
    ("", 403, "closed", "registration_closed"),
    ("", 403, "", "forbidden"),
]


# The server did not answer in time (overloaded): no rule refused the actor.
NO_ANSWER = "no_answer"


@dataclass(frozen=True)
class Stop:
    rule: str
    phase: str  # sign_up, payment or write
    day: float
    status: int
    message: str
    source: (
        str  # "server" when the answer named the rule, "message" when read from it, "client" for no answer
    )

    def to_dict(self) -> dict:
        return asdict(self)


def rule_of(answer: Answer, phase: str = "") -> tuple[str, str]:
    """(rule, source) for a refusal met in `phase` (sign_up, payment or write)."""
    if isinstance(answer.body, dict) and isinstance(answer.body.get("rule"), str):
        return answer.body["rule"], "server"
    if answer.status == 0:
        return NO_ANSWER, "client"
    message = answer.message.lower()
    for where, status, words, rule in _BY_MESSAGE:
        if where in ("", phase) and answer.status == status and words in message:
            return rule, "message"
    return f"http_{answer.status}", "message"


def stop(answer: Answer, phase: str, day: float) -> Stop:
    rule, source = rule_of(answer, phase)
    return Stop(rule, phase, day, answer.status, answer.message[:200], source)
