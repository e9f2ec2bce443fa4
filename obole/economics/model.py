"""What a bot farm costs its operator, with Obole's fee and with CAPTCHA only.

All money is Decimal US dollars, computed exactly; only charts turn it into
floats. The model counts in months. Symbols (docs/economics.md has the same):

    F   the fee per interval;  f = F × k  its monthly equivalent, where k is the
        number of intervals in a month (day 365/12, week 52/12, month 1, year 1/12)
    N   the farm: the number of live bots the operator keeps
    C   the cost of one new payment method (a card) for a bot
    A   the cost of one account without a fee:
        A = captcha_per_thousand / 1000 × captchas_per_account + phone + address
    p   the monthly probability that a live bot is caught (banned), 0 ≤ p ≤ 1
    H   the horizon: months the farm runs, over which the first set-up is spread

With the fee, a card is needed (C counts) only if the fee is above zero. Each
month a live bot pays f; a caught bot is replaced at once by a new account with
a new card that pays its own first period, while the banned one's paid period
is lost and its card blocklisted. So

    ban cost (fee)          B  = f + C + A
    cost per live bot-month c  = (A + C) / H + f + p × B
    ban cost (CAPTCHA only) B₀ = A
    cost per live bot-month c₀ = A / H + p × A
    multiple                m  = c / c₀          (undefined when c₀ = 0)
    farm per month              N × c  and  N × c₀
    break-even revenue          c per bot-month (what each bot must earn)
    the instance's income       honest members × f, plus the farm's fees N × f × (1 + p)

With a zero fee c = c₀ and the multiple is 1. With p = 0 no bot is ever
replaced and only the set-up spread over H adds to the fee.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from decimal import Decimal

from obole.economics.sources import figure

INTERVALS_PER_MONTH = {
    "day": Decimal(365) / Decimal(12),
    "week": Decimal(52) / Decimal(12),
    "month": Decimal(1),
    "year": Decimal(1) / Decimal(12),
}

# The card an operator needs for each bot, cheapest first (sources.py).
CARD_KINDS = {
    "virtual": figure("card_virtual").low,
    "stolen (low)": figure("card_stolen").low,
    "prepaid": figure("card_prepaid").low,
    "prepaid (high)": figure("card_prepaid").high,
    "stolen (average)": figure("card_stolen").typical,
    "stolen (high)": figure("card_stolen").high,
}


@dataclass(frozen=True)
class Inputs:
    """The model's inputs; the defaults are the cheapest sourced figures (the farm's best case)."""

    fee: Decimal = Decimal("3.00")
    interval: str = "month"
    farm_size: int = 100_000
    card_cost: Decimal = field(default_factory=lambda: figure("card_virtual").low)
    captcha_per_thousand: Decimal = field(default_factory=lambda: figure("captcha_per_thousand").typical)
    captchas_per_account: int = 1
    phone_cost: Decimal = field(default_factory=lambda: figure("phone").typical)
    # No source prices a residential address per account, so none is assumed (it favours the farm).
    address_cost: Decimal = Decimal(0)
    detection: Decimal = Decimal("0.05")
    horizon_months: int = 12
    honest_members: int = 10_000
    detection_source: str = "given"

    def __post_init__(self) -> None:
        if self.interval not in INTERVALS_PER_MONTH:
            raise ValueError(f"interval must be one of {', '.join(INTERVALS_PER_MONTH)}")
        for name in ("fee", "card_cost", "captcha_per_thousand", "phone_cost", "address_cost"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} cannot be negative")
        if not Decimal(0) <= self.detection <= Decimal(1):
            raise ValueError("detection is a monthly probability between 0 and 1")
        if self.horizon_months < 1:
            raise ValueError("the horizon is at least one month")
        if self.farm_size < 0 or self.honest_members < 0 or self.captchas_per_account < 0:
            raise ValueError("counts cannot be negative")

    def with_(self, **changes) -> Inputs:
        return replace(self, **changes)

    def to_dict(self) -> dict:
        return {
            key: str(value) if isinstance(value, Decimal) else value for key, value in asdict(self).items()
        }


@dataclass(frozen=True)
class Outputs:
    fee_per_month: Decimal
    account_cost: Decimal
    ban_cost: Decimal
    ban_cost_captcha: Decimal
    cost_per_bot_month: Decimal
    cost_per_bot_month_captcha: Decimal
    multiple: Decimal | None
    farm_per_month: Decimal
    farm_per_month_captcha: Decimal
    break_even_per_bot_month: Decimal
    bans_per_month: Decimal
    expected_bot_lifetime_months: Decimal | None
    honest_income_per_month: Decimal
    farm_fees_to_instance_per_month: Decimal

    def to_dict(self) -> dict:
        return {key: None if value is None else str(value) for key, value in asdict(self).items()}


def fee_per_month(inputs: Inputs) -> Decimal:
    """f = F × k."""
    return inputs.fee * INTERVALS_PER_MONTH[inputs.interval]


def account_cost(inputs: Inputs) -> Decimal:
    """A = captcha_per_thousand / 1000 × captchas_per_account + phone + address."""
    captcha = inputs.captcha_per_thousand / Decimal(1000) * inputs.captchas_per_account
    return captcha + inputs.phone_cost + inputs.address_cost


def compute(inputs: Inputs) -> Outputs:
    """The formulas of the module docstring, in the same order."""
    f = fee_per_month(inputs)
    a = account_cost(inputs)
    card = inputs.card_cost if inputs.fee > 0 else Decimal(0)
    p = inputs.detection
    horizon = Decimal(inputs.horizon_months)
    ban = f + card + a
    per_bot = (a + card) / horizon + f + p * ban
    ban_captcha = a
    per_bot_captcha = a / horizon + p * ban_captcha
    n = Decimal(inputs.farm_size)
    return Outputs(
        fee_per_month=f,
        account_cost=a,
        ban_cost=ban,
        ban_cost_captcha=ban_captcha,
        cost_per_bot_month=per_bot,
        cost_per_bot_month_captcha=per_bot_captcha,
        multiple=per_bot / per_bot_captcha if per_bot_captcha else None,
        farm_per_month=n * per_bot,
        farm_per_month_captcha=n * per_bot_captcha,
        break_even_per_bot_month=per_bot,
        bans_per_month=n * p,
        expected_bot_lifetime_months=Decimal(1) / p if p else None,
        honest_income_per_month=Decimal(inputs.honest_members) * f,
        farm_fees_to_instance_per_month=n * f * (1 + p),
    )


def sweep(inputs: Inputs, fees: list[Decimal], detections: list[Decimal]) -> list[list[Outputs]]:
    """Outputs for every (detection, fee) pair: rows are detection rates, columns fees."""
    return [[compute(inputs.with_(fee=fee, detection=p)) for fee in fees] for p in detections]


def by_card_kind(inputs: Inputs) -> dict[str, Outputs]:
    """The same farm paying for each kind of card the sources price."""
    return {kind: compute(inputs.with_(card_cost=cost)) for kind, cost in CARD_KINDS.items()}


DEFAULT_FEES = [Decimal(text) for text in ("0", "0.25", "0.50", "1", "2", "3", "5", "8", "10")]
DEFAULT_DETECTIONS = [Decimal(text) for text in ("0", "0.01", "0.05", "0.1", "0.25", "0.5", "0.75", "1")]


def money(value: Decimal | None, places: int = 2) -> str:
    """A dollar amount for people: 2 decimals, or 4 below a dollar so small costs do not show as 0."""
    if value is None:
        return "—"
    if value and abs(value) < 1:
        places = max(places, 4)
    return f"${value.quantize(Decimal(1).scaleb(-places)):,}"


def times(value: Decimal | None) -> str:
    if value is None:
        return "— (no cost without the fee)"
    return f"{value.quantize(Decimal('0.1')):,}×"
