"""The published figures the bot-economics model starts from, each with its source.

Every default of the model is one of these figures (or the low or high end of
one of these ranges); nothing is invented. docs/economics.md restates them.
All prices are US dollars.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Figure:
    key: str
    what: str
    low: Decimal
    high: Decimal
    unit: str
    source: str
    typical: Decimal | None = None

    def to_dict(self) -> dict:
        return {
            "key": self.key,
            "what": self.what,
            "low": str(self.low),
            "high": str(self.high),
            "typical": None if self.typical is None else str(self.typical),
            "unit": self.unit,
            "source": self.source,
        }


D = Decimal

FIGURES: tuple[Figure, ...] = (
    Figure(
        "captcha_per_thousand", "CAPTCHA solving by a solving service", D("0.50"), D("3.00"),
        "USD per 1,000 solved", "2Captcha and CapSolver public price lists (reCAPTCHA v2 about 0.80)",
        typical=D("0.80"),
    ),
    Figure(
        "phone", "A phone number for SMS verification", D("0.08"), D("0.50"), "USD per number",
        "COTSI index of SMS-verification prices, reported in Science, December 2025 "
        "(about 0.10 for X; 0.50 typical; 0.25 US; 0.08 Russia)",
        typical=D("0.10"),
    ),
    Figure(
        "card_virtual", "A virtual card from an issuing platform", D("0.10"), D("0.10"), "USD per card",
        "Stripe Issuing public pricing (after the business has passed KYC)",
    ),
    Figure(
        "card_prepaid", "A prepaid or gift card", D("2.95"), D("6.95"), "USD activation fee per card",
        "US retail prepaid Visa and Mastercard gift-card fees",
    ),
    Figure(
        "card_stolen", "Stolen card details", D("0.50"), D("30.00"), "USD per card",
        "Symantec ISTR 2017 (0.50 to 30 by data); NordVPN dark-web card study 2021 (average 9.70)",
        typical=D("9.70"),
    ),
    Figure(
        "accounts_market", "Fake Twitter accounts bought on the market", D("10"), D("200"),
        "USD per 1,000 accounts", "Thomas et al., Trafficking Fraudulent Accounts, USENIX Security 2013",
    ),
    Figure(
        "still_up_after_report", "Share of reported fake accounts still active weeks later",
        D("0.93"), D("0.95"), "share", "NATO StratCom COE, Falling Behind (2019: 95 % after 3 weeks; "
        "2022 follow-up: over 93 % after 4 weeks)",
    ),
)  # fmt: skip

BY_KEY = {figure.key: figure for figure in FIGURES}

# Background that shapes the model without entering it as a number.
BACKGROUND: tuple[tuple[str, str], ...] = (
    ("Machines solve CAPTCHAs better than people", "Searles et al., An Empirical Study & Evaluation of "
     "Modern CAPTCHAs, USENIX Security 2023; Plesner, Vontobel and Wattenhofer, Breaking reCAPTCHAv2, "
     "ETH Zurich 2024 (image challenges solved every time)"),
    ("A small budget buys a lot of fake engagement", "NATO StratCom COE 2019 (300 EUR bought 3,530 comments, "
     "25,750 likes and 5,100 followers) and 2022 (168 EUR bought 27,309 engagements)"),
    ("Bots are a large share of active accounts", "Varol et al., ICWSM 2017 (9 to 15 % of active "
     "Twitter accounts)"),
    ("Pricing each message", "Dwork and Naor, Pricing via Processing or Combatting Junk Mail, CRYPTO 1992; "
     "Laurie and Clayton, Proof-of-Work Proves Not to Work, WEIS 2004"),
    ("Fees in practice", "X Not A Bot (2023, 1 USD a year to write); MetaFilter (5 USD once since 2004, "
     "still a couple of spammers a week); Pinboard (a one-time fee, reported spam-free)"),
)  # fmt: skip


def figure(key: str) -> Figure:
    return BY_KEY[key]
