"""Card numbers: checked, fingerprinted and forgotten.

The server never keeps a card number or a CVC. What it keeps is a keyed HMAC
of the number (the fingerprint, so the same card is recognised across
accounts without being recoverable), the brand, the last four digits, the
expiry and the funding type.

Every function here that holds a number or a CVC is marked with
`sensitive_variables`, so a crash report or error email (Django's
SafeExceptionReporterFilter) shows stars in their place; so are the callers
that pass card details on (providers, membership.services, the views).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.views.decorators.debug import sensitive_variables

# Leading digits → brand, longest prefix first is not needed: ranges do not overlap.
_BRANDS = (
    ("amex", ("34", "37")),
    ("diners", ("36", "300", "301", "302", "303", "304", "305", "38")),
    ("discover", ("6011", "64", "65")),
    ("jcb", ("35",)),
    ("unionpay", ("62",)),
    ("mastercard", ("51", "52", "53", "54", "55", "22", "23", "24", "25", "26", "27")),
    ("visa", ("4",)),
)


# The lengths each network issues. A number of another length, or one no network
# issues at all (a leading 0 or 9, all zeros), is refused: it would otherwise pass
# Luhn and get a fingerprint of its own — "0" + a known card looks like a new card.
_LENGTHS = {
    "amex": (15,),
    "diners": tuple(range(14, 20)),
    "discover": tuple(range(16, 20)),
    "jcb": tuple(range(16, 20)),
    "unionpay": tuple(range(16, 20)),
    "mastercard": (16,),
    "visa": (13, 16, 19),
}
_BRAND_NAMES = {
    "amex": "American Express",
    "diners": "Diners Club",
    "discover": "Discover",
    "jcb": "JCB",
    "unionpay": "UnionPay",
    "mastercard": "Mastercard",
    "visa": "Visa",
}


class CardError(ValueError):
    """The card details are malformed; the message says what to fix."""

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.field = field


@sensitive_variables()
def normalize_number(number: str) -> str:
    """The digits of a card number as a person may type it (spaces and dashes dropped).

    This is the one form that is fingerprinted; check_card refuses anything a
    card network would not issue, so two spellings of one card cannot reach
    fingerprint() as different strings.
    """
    return "".join(ch for ch in number if ch not in " -")


@sensitive_variables()
def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


@sensitive_variables()
def brand_of(digits: str) -> str:
    for brand, prefixes in _BRANDS:
        if digits.startswith(prefixes):
            return brand
    return "unknown"


@sensitive_variables()
def fingerprint(digits: str) -> str:
    return hmac.new(settings.OBOLE_FINGERPRINT_KEY.encode(), digits.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class CardSummary:
    """Everything the server may keep about a card."""

    fingerprint: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    funding: str  # credit, debit, prepaid or unknown
    country: str = ""  # the issuing country (ISO 3166 alpha-2), when the provider says


@sensitive_variables("number", "cvc", "digits")
def check_card(number: str, exp_month: int, exp_year: int, cvc: str, now: datetime) -> str:
    """Validate raw card details; return the normalised digits or raise CardError."""
    digits = normalize_number(number)
    # isascii(): str.isdigit() also accepts full-width, Arabic-Indic and superscript
    # digits, which would fingerprint differently from the same card typed in ASCII.
    if not (digits.isascii() and digits.isdigit()) or not 12 <= len(digits) <= 19:
        raise CardError("Your card number must be 12 to 19 digits.", "card_number")
    if not luhn_valid(digits):
        raise CardError("Your card number is invalid; please check it.", "card_number")
    brand = brand_of(digits)
    if brand == "unknown":
        raise CardError("This is not a card number any card network issues; please check it.", "card_number")
    if len(digits) not in _LENGTHS[brand]:
        name = _BRAND_NAMES[brand]
        raise CardError(f"A {name} card number is not {len(digits)} digits long.", "card_number")
    if not 1 <= exp_month <= 12:
        raise CardError("The expiry month must be between 1 and 12.", "exp_month")
    if exp_year < 100:
        exp_year += 2000
    if (exp_year, exp_month) < (now.year, now.month):
        raise CardError("Your card has expired.", "exp_year")
    if exp_year > now.year + 50:
        raise CardError("The expiry year is too far in the future.", "exp_year")
    cvc_length = 4 if brand == "amex" else 3
    if not (cvc.isascii() and cvc.isdigit()) or len(cvc) != cvc_length:
        raise CardError(f"The security code (CVC) must be {cvc_length} digits.", "cvc")
    return digits
