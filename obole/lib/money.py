"""Money as integer minor units (cents), never floats.

`parse_amount("3.00", "USD") == 300`; `format_amount(300, "USD") == "3.00 USD"`.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

# ISO 4217 currencies whose minor unit is not the cent. Everything else has two decimals.
_EXPONENTS = {
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0,
    "PYG": 0, "RWF": 0, "UGX": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
}  # fmt: skip


def exponent(currency: str) -> int:
    return _EXPONENTS.get(currency.upper(), 2)


def valid_currency(currency: str) -> bool:
    return len(currency) == 3 and currency.isascii() and currency.isalpha()


def parse_amount(text: str, currency: str) -> int:
    """Turn a decimal string in major units into minor units, refusing fractions of a cent."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{text!r} is not an amount") from None
    if not value.is_finite() or value < 0:
        raise ValueError(f"{text!r} is not a positive amount")
    minor = value.scaleb(exponent(currency))
    if minor != minor.to_integral_value():
        raise ValueError(f"{text!r} has more decimals than {currency.upper()} allows")
    return int(minor)


def format_amount(minor: int, currency: str) -> str:
    digits = exponent(currency)
    value = Decimal(minor).scaleb(-digits)
    return f"{value:.{digits}f} {currency.upper()}"
