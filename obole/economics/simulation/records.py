"""What the simulation measures about each actor, and the run's summary.

A record keeps no card number: only the label of the simulated card ("pool-3").
`stopped_by` is the refusal that ended an actor's way to write (or kept it from
ever getting one); `throttled` lists refusals it got past. Rule names come from
`rules.py`, so a rule the server names itself lands here unchanged.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from obole.economics.model import Inputs, compute, money, times
from obole.economics.simulation.rules import NO_ANSWER, Stop

DAYS_PER_MONTH = Decimal("30")
# Ways to lose write access that are the farm's own doing, not a rule catching it.
NOT_DETECTION = {"membership_lapsed", "grace_period_over", "membership_ended", "not_paid", NO_ANSWER}


@dataclass
class ActorRecord:
    kind: str  # bot or human
    strategy: str
    username: str
    address: str
    sign_up_attempts: int = 0
    card_attempts: int = 0
    signed_up: bool = False
    paid: bool = False
    card: str | None = None  # label of the card that paid
    writes: dict[str, bool] = field(default_factory=dict)  # simulated day → could write
    first_write_day: float | None = None
    last_write_day: float | None = None
    stopped_by: Stop | None = None
    throttled: list[Stop] = field(default_factory=list)
    flagged: list[str] = field(default_factory=list)  # filled from the server's answers when it flags
    paid_minor: int = 0
    access_days: float = 0.0

    @property
    def attempts(self) -> int:
        return self.sign_up_attempts + self.card_attempts

    @property
    def got_write_access(self) -> bool:
        return self.first_write_day is not None

    def writing_at(self, day: float) -> bool:
        return self.writes.get(f"{day:g}", False)

    def saw_write(self, day: float, ok: bool) -> None:
        self.writes[f"{day:g}"] = ok
        if ok:
            if self.first_write_day is None:
                self.first_write_day = day
            self.last_write_day = day

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "strategy": self.strategy,
            "username": self.username,
            "address": self.address,
            "sign_up_attempts": self.sign_up_attempts,
            "card_attempts": self.card_attempts,
            "signed_up": self.signed_up,
            "paid": self.paid,
            "card": self.card,
            "writes": self.writes,
            "first_write_day": self.first_write_day,
            "last_write_day": self.last_write_day,
            "access_days": self.access_days,
            "stopped_by": self.stopped_by.to_dict() if self.stopped_by else None,
            "throttled": [item.to_dict() for item in self.throttled],
            "flagged": self.flagged,
            "paid_minor": self.paid_minor,
        }


def access_days(record: ActorRecord, days: list[float]) -> float:
    """Days with write access: each checkpoint it could write at counts until the next checkpoint."""
    total = 0.0
    for start, end in zip(days, days[1:], strict=False):
        if record.writing_at(start):
            total += end - start
    return total


def summarize(
    records: list[ActorRecord], days: list[float], *, server: dict, model_inputs: Inputs, extra: dict
) -> dict:
    """The run's figures: the bots, the humans, per strategy, day by day, and the measured detection rate.

    - bot-months of write access = Σ access days / 30
    - detection per month = bots whose access a rule ended (not their own failure to pay) / bot-months
    - what each surviving bot-month cost = (fees paid + cards used × C + accounts made × A) / bot-months,
      with C and A the model's sourced defaults
    - the multiple = that cost / the model's CAPTCHA-only cost per bot-month at the measured detection
    """
    for record in records:
        record.access_days = access_days(record, days)
    bots = [r for r in records if r.kind == "bot"]
    humans = [r for r in records if r.kind == "human"]
    currency = server.get("currency", "USD")
    bot_days = Decimal(str(sum(r.access_days for r in bots)))
    bot_months = bot_days / DAYS_PER_MONTH
    caught = [
        r for r in bots if r.got_write_access and r.stopped_by and r.stopped_by.rule not in NOT_DETECTION
    ]
    detection = Decimal(len(caught)) / bot_months if bot_months else Decimal(0)
    detection = min(detection, Decimal(1))
    paid_minor = sum(r.paid_minor for r in bots)
    fees = Decimal(paid_minor) / 100
    cards_used = len({r.card for r in bots if r.card})
    accounts = sum(1 for r in bots if r.signed_up)
    outputs = compute(model_inputs.with_(detection=detection))
    spend = fees + cards_used * model_inputs.card_cost + accounts * outputs.account_cost
    per_month = spend / bot_months if bot_months else None
    multiple = (
        per_month / outputs.cost_per_bot_month_captcha
        if per_month and outputs.cost_per_bot_month_captcha
        else None
    )
    end = days[-1]

    by_strategy: dict[str, dict] = {}
    for record in bots:
        item = by_strategy.setdefault(
            record.strategy,
            {
                "bots": 0,
                "attempts": 0,
                "got_write_access": 0,
                "writing_at_end": 0,
                "access_days": 0.0,
                "paid_minor": 0,
                "stopped_by": Counter(),
            },
        )
        item["bots"] += 1
        item["attempts"] += record.attempts
        item["got_write_access"] += record.got_write_access
        item["writing_at_end"] += record.writing_at(end)
        item["access_days"] += record.access_days
        item["paid_minor"] += record.paid_minor
        if record.stopped_by:
            item["stopped_by"][record.stopped_by.rule] += 1
    for item in by_strategy.values():
        item["stopped_by"] = dict(item["stopped_by"])

    # Which rule stopped how many bots, at which step and on which simulated day.
    stopped: dict[str, dict] = {}
    for record in bots:
        if record.stopped_by is None:
            continue
        found = record.stopped_by
        item = stopped.setdefault(
            found.rule,
            {
                "bots": 0,
                "after_write_access": 0,
                "phases": Counter(),
                "days": Counter(),
                "source": found.source,
            },
        )
        item["bots"] += 1
        item["after_write_access"] += record.got_write_access
        item["phases"][found.phase] += 1
        item["days"][f"{found.day:g}"] += 1
    for item in stopped.values():
        item["phases"], item["days"] = dict(item["phases"]), dict(item["days"])

    # A human the server did not answer in time was not refused by a rule: counted apart.
    unanswered = [r for r in humans if r.stopped_by is not None and r.stopped_by.rule == NO_ANSWER]
    refused = [r for r in humans if r.stopped_by is not None and r.stopped_by.rule != NO_ANSWER]
    flagged = [r for r in humans if r.flagged or r.throttled]
    wrong = {r.username for r in refused} | {r.username for r in flagged}
    return {
        "server": server,
        "days": days,
        "bots": {
            "total": len(bots),
            "attempts": sum(r.attempts for r in bots),
            "sign_up_attempts": sum(r.sign_up_attempts for r in bots),
            "card_attempts": sum(r.card_attempts for r in bots),
            "accounts_made": accounts,
            "got_write_access": sum(r.got_write_access for r in bots),
            "writing_at_end": sum(r.writing_at(end) for r in bots),
            "write_months": str(bot_months.quantize(Decimal("0.01"))),
            "paid_minor": paid_minor,
            "paid_display": money(fees) + f" {currency}",
            "cards_used": cards_used,
            "spend": str(spend.quantize(Decimal("0.01"))),
            "cost_per_surviving_bot_month": None
            if per_month is None
            else str(per_month.quantize(Decimal("0.0001"))),
            "cost_per_surviving_bot_month_display": money(per_month),
            "stopped_by": dict(Counter(r.stopped_by.rule for r in bots if r.stopped_by)),
            "stopped_by_rule": dict(sorted(stopped.items(), key=lambda item: -item[1]["bots"])),
        },
        "humans": {
            "total": len(humans),
            "signed_up": sum(r.signed_up for r in humans),
            "paid": sum(r.paid for r in humans),
            "writing_at_end": sum(r.writing_at(end) for r in humans),
            "refused": len(refused),
            "flagged_or_throttled": len(flagged),
            "refused_by": dict(Counter(r.stopped_by.rule for r in refused)),
            "no_answer": len(unanswered),
            "false_positive_rate": f"{Decimal(len(wrong)) / len(humans):.2%}" if humans else "—",
            "false_positives": len(wrong),
        },
        "by_strategy": by_strategy,
        "timeline": [
            {
                "day": day,
                "bots_writing": sum(r.writing_at(day) for r in bots),
                "humans_writing": sum(r.writing_at(day) for r in humans),
            }
            for day in days
        ],
        "measured": {
            "caught_after_access": len(caught),
            "detection_per_month": str(detection.quantize(Decimal("0.0001"))),
            "captcha_only_per_bot_month": str(outputs.cost_per_bot_month_captcha.quantize(Decimal("0.0001"))),
            "multiple": None if multiple is None else str(multiple.quantize(Decimal("0.1"))),
            "multiple_display": times(multiple),
            "model_multiple_at_measured_detection": times(outputs.multiple),
            "model_cost_per_bot_month_at_measured_detection": money(outputs.cost_per_bot_month),
            "card_cost_assumed": str(model_inputs.card_cost),
            "account_cost_assumed": str(outputs.account_cost),
        },
        **extra,
    }
