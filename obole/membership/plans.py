"""What a membership costs: the plan, from settings.

A Plan is a value, not a database row: the operator sets the fee with
OBOLE_FEE_AMOUNT / OBOLE_FEE_CURRENCY / OBOLE_FEE_INTERVAL, and optionally a
per-country list with OBOLE_FEE_BY_COUNTRY ("GB=2.50 GBP; JP=450 JPY"). Each
charge records the amount and currency it was made in, so a price change never
rewrites history; it applies from each member's next renewal.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from django.conf import settings

from obole.lib.env import ConfigError
from obole.lib.money import format_amount, parse_amount, valid_currency


@dataclass(frozen=True)
class Plan:
    amount: int  # minor units
    currency: str
    interval: str

    def to_dict(self) -> dict:
        return {"amount": self.amount, "currency": self.currency, "interval": self.interval}

    def __str__(self) -> str:
        return f"{format_amount(self.amount, self.currency)} a {self.interval}"


def parse_country_prices(text: str, interval: str) -> dict[str, Plan]:
    prices: dict[str, Plan] = {}
    for entry in filter(None, (part.strip() for part in text.split(";"))):
        try:
            country, price = (s.strip() for s in entry.split("="))
            amount_text, currency = price.split()
        except ValueError:
            raise ConfigError(
                f"OBOLE_FEE_BY_COUNTRY entries look like 'GB=2.50 GBP', not {entry!r}"
            ) from None
        currency = currency.upper()
        if len(country) != 2 or not country.isalpha() or not valid_currency(currency):
            raise ConfigError(f"OBOLE_FEE_BY_COUNTRY has a bad country or currency in {entry!r}")
        try:
            amount = parse_amount(amount_text, currency)
        except ValueError as error:
            raise ConfigError(f"OBOLE_FEE_BY_COUNTRY: {error}") from None
        if amount <= 0:
            raise ConfigError(f"OBOLE_FEE_BY_COUNTRY prices must be more than zero, not {entry!r}")
        if country.upper() in prices:
            raise ConfigError(f"OBOLE_FEE_BY_COUNTRY names {country.upper()} twice")
        prices[country.upper()] = Plan(amount, currency, interval)
    return prices


@cache
def _country_prices(text: str, interval: str) -> dict[str, Plan]:
    return parse_country_prices(text, interval)


def plan_for(country: str = "") -> Plan:
    interval = settings.OBOLE_FEE_INTERVAL
    by_country = _country_prices(settings.OBOLE_FEE_BY_COUNTRY, interval)
    default = Plan(settings.OBOLE_FEE_AMOUNT, settings.OBOLE_FEE_CURRENCY, interval)
    return by_country.get(country.upper(), default)
