"""The sandbox's test cards, as data: the one table (the README's "Test cards" lists the same).

Stripe's public test cards behave here as in Stripe's test mode; the ranges are
the sandbox's own, for a simulated farm that needs many distinct prepaid cards
and cards that fail when charged, of several brands (Stripe has one of each).
A range is the first six digits; any number a network could issue that starts
with them belongs to it. No Django here: `obole simulate` reads it too.
"""

from __future__ import annotations

# Declined when attached, as Stripe declines them when saved to a customer.
DECLINED_ON_ATTACH = {
    "4000000000000002": "generic_decline",
    "4000000000009995": "insufficient_funds",
    "4000000000009987": "lost_card",
    "4000000000009979": "stolen_card",
    "4000000000000069": "expired_card",
    "4000000000000127": "incorrect_cvc",
    "4000000000000119": "processing_error",
}
FAILS_ON_CHARGE = {"4000000000000341": "card_declined"}
# The sandbox's own ranges (six leading digits), for many distinct cards of each kind.
PREPAID_RANGES = {"visa": "400099", "mastercard": "510510", "amex": "378299"}
FAILS_ON_CHARGE_RANGES = {"visa": "400034", "mastercard": "555534", "amex": "378234", "discover": "601134"}
FUNDING = {
    "5105105105105100": "prepaid",
    "4000056655665556": "debit",
    "5200828282828210": "debit",
}
# Stripe's international test cards carry the issuing country's ISO 3166 numeric
# code after "400000" (4000000760000002 is Brazilian); other test cards are American.
COUNTRIES = {
    "036": "AU", "076": "BR", "124": "CA", "156": "CN", "250": "FR", "276": "DE", "356": "IN",
    "392": "JP", "484": "MX", "566": "NG", "643": "RU", "826": "GB", "840": "US",
}  # fmt: skip
