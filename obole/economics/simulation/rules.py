"""Which of the server's rules stopped an actor, read from the answer it got.

Obole names the rule in a `rule` field of every refusal one of its checks
makes (the names it counts bot pressure under: `signups_per_ip`,
`failures_per_network`, `card_in_use`, `prepaid_card`, `membership_lapsed`…);
that name is kept as it is. For a server that does not, the rule is recognised
from the status code and the error message, which are part of the public API,
with the same names where the message tells which check it was. `source` says
which.
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
    ("payment", 422, "already pays for another", "card_in_use"),
    ("payment", 422, "cannot be used on obole", "blocklisted"),
    ("payment", 422, "prepaid", "prepaid_card"),
    ("payment", 422, "", "invalid_card"),
    ("payment", 402, "", "card_declined"),
    ("", 402, "lapsed", "membership_lapsed"),
    ("", 402, "grace period", "grace_period_over"),
    ("", 402, "has ended", "membership_ended"),
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
    phase: str  # app_registration, sign_up, payment or write
    day: float
    status: int
    message: str
    source: (
        str  # "server" when the answer named the rule, "message" when read from it, "client" for no answer
    )

    def to_dict(self) -> dict:
        return asdict(self)


def named_rule(answer: Answer) -> str:
    """The rule a refusal's answer names itself; "" when it names none."""
    if not answer.ok and isinstance(answer.body, dict) and isinstance(answer.body.get("rule"), str):
        return answer.body["rule"]
    return ""


def rule_of(answer: Answer, phase: str = "") -> tuple[str, str]:
    """(rule, source) for a refusal met in `phase` (app_registration, sign_up, payment or write)."""
    if named_rule(answer):
        return named_rule(answer), "server"
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
