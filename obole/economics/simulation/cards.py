"""Card numbers for a simulation run.

The sandbox provider treats any Luhn-valid number outside Stripe's test table
as a working credit card, so each bot and human gets a distinct one. A run
nonce goes into every number, so a second run against the same server does not
collide with the cards of the first. Numbers stay in memory: records keep only
a label such as "pool-3".
"""

from __future__ import annotations

from dataclasses import dataclass

# The sandbox's special numbers (README, obole/membership/providers/sandbox.py).
PREPAID = "5105105105105100"
FAILS_WHEN_CHARGED = "4000000000000341"
DECLINED = ("4000000000000002", "4000000000009995", "4000000000009987", "4000000000009979")


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


def make_number(prefix: str, nonce: int, serial: int) -> str:
    """16 digits: a 4-digit prefix, a 4-digit run nonce, a 7-digit serial, the check digit."""
    partial = f"{prefix[:4]}{nonce % 10_000:04d}{serial % 10_000_000:07d}"
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
    cvc: str = "123"

    def form(self) -> dict:
        return {
            "card_number": self.number,
            "exp_month": self.exp_month,
            "exp_year": self.exp_year,
            "cvc": self.cvc,
        }

    def __repr__(self) -> str:  # never show the number, even in a traceback
        return f"Card({self.label!r})"


class CardMaker:
    """Distinct working cards per owner kind: bots from 4929…, humans from 5300…."""

    def __init__(self, nonce: int):
        self.nonce = nonce
        self.serials: dict[str, int] = {}

    def new(self, prefix: str, label: str) -> Card:
        serial = self.serials.get(prefix, 0)
        self.serials[prefix] = serial + 1
        return Card(f"{label}-{serial}", make_number(prefix, self.nonce, serial))

    def bot(self) -> Card:
        return self.new("4929", "bot")

    def human(self) -> Card:
        return self.new("5300", "human")
