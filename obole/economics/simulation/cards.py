"""Card numbers for a simulation run.

The sandbox provider treats any Luhn-valid number outside its test-card table
(the README's "Test cards") as a working credit card, so each bot and human
gets a distinct one; prepaid cards and cards that fail when charged are drawn
from the sandbox's ranges for them, several brands each. A run nonce goes into
every number, so a second run against the same server does not collide with the
cards of the first. Numbers stay in memory: records keep only a label such as
"pool-3".
"""

from __future__ import annotations

from dataclasses import dataclass

from obole.membership.providers.sandbox_cards import FAILS_ON_CHARGE_RANGES, PREPAID_RANGES

# The sandbox's special numbers (README "Test cards", obole/membership/providers/sandbox.py).
PREPAID = "5105105105105100"
FAILS_WHEN_CHARGED = "4000000000000341"
DECLINED = ("4000000000000002", "4000000000009995", "4000000000009987", "4000000000009979")
LENGTHS = {"amex": 15}  # every other brand used here: 16 digits


def luhn_check_digit(partial: str) -> str:
    """The digit that makes `partial` + digit pass the Luhn check."""
    total = 0
    for position, char in enumerate(reversed(partial)):
        digit = int(char)
        if position % 2 == 0:  # these are doubled once the check digit is appended
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return str((10 - total % 10) % 10)


def luhn_valid(number: str) -> bool:
    return number[-1] == luhn_check_digit(number[:-1])


def make_number(prefix: str, nonce: int, serial: int, length: int = 16) -> str:
    """`length` digits: the prefix, a 4-digit run nonce, the serial filling the rest, the check digit."""
    width = length - len(prefix) - 5
    partial = f"{prefix}{nonce % 10_000:04d}{serial % 10**width:0{width}d}"
    return partial + luhn_check_digit(partial)


def broken(number: str) -> str:
    """The same number with a wrong check digit (a typo, or a card tester's guess)."""
    return number[:-1] + str((int(number[-1]) + 1) % 10)


@dataclass(frozen=True)
class Card:
    label: str
    number: str
    exp_month: int = 12
    exp_year: int = 2035
    cvc: str = ""

    def form(self) -> dict:
        return {
            "card_number": self.number,
            "exp_month": self.exp_month,
            "exp_year": self.exp_year,
            "cvc": self.cvc or ("1234" if self.number.startswith(("34", "37")) else "123"),
        }

    def __repr__(self) -> str:  # never show the number, even in a traceback
        return f"Card({self.label!r})"


class CardMaker:
    """Distinct working cards per owner kind: bots from 4929…, humans from 5300…."""

    def __init__(self, nonce: int):
        self.nonce = nonce
        self.serials: dict[str, int] = {}

    def new(self, prefix: str, label: str, length: int = 16) -> Card:
        serial = self.serials.get(prefix, 0)
        self.serials[prefix] = serial + 1
        return Card(f"{label}-{serial}", make_number(prefix, self.nonce, serial, length))

    def prepaid(self, brand: str) -> Card:
        """A distinct prepaid card of `brand` (visa, mastercard, amex) from the sandbox's range."""
        return self.new(PREPAID_RANGES[brand], f"prepaid-{brand}", LENGTHS.get(brand, 16))

    def fails_when_charged(self, brand: str) -> Card:
        """A distinct card of `brand` that attaches and then fails every charge."""
        return self.new(FAILS_ON_CHARGE_RANGES[brand], f"fails-{brand}", LENGTHS.get(brand, 16))

    def bot(self) -> Card:
        return self.new("4929", "bot")

    def human(self) -> Card:
        return self.new("5300", "human")
