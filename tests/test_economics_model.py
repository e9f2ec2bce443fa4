"""The bot-economics model against cases worked by hand (the working is in each test's docstring)."""

from decimal import Decimal as D

import pytest

from obole.economics.model import Inputs, by_card_kind, compute, money, sweep

SMALL = Inputs(
    fee=D("3"),
    interval="month",
    farm_size=1000,
    card_cost=D("0.10"),
    captcha_per_thousand=D("1.00"),
    captchas_per_account=1,
    phone_cost=D("0.10"),
    address_cost=D("0"),
    detection=D("0"),
    horizon_months=1,
    honest_members=500,
)


def test_no_detection():
    """A = 1.00/1000 + 0.10 = 0.101; card 0.10; f = 3.
    c = (0.101 + 0.10)/1 + 3 + 0 = 3.201;  c0 = 0.101/1 + 0 = 0.101;  m = 3.201/0.101."""
    out = compute(SMALL)
    assert out.account_cost == D("0.101")
    assert out.ban_cost == D("3.201")
    assert out.cost_per_bot_month == D("3.201")
    assert out.cost_per_bot_month_captcha == D("0.101")
    assert out.multiple.quantize(D("0.0001")) == D("31.6931")
    assert out.farm_per_month == D("3201")
    assert out.farm_per_month_captcha == D("101")
    assert out.break_even_per_bot_month == D("3.201")
    assert out.bans_per_month == 0
    assert out.expected_bot_lifetime_months is None
    assert out.honest_income_per_month == D("1500")
    assert out.farm_fees_to_instance_per_month == D("3000")


def test_every_bot_caught_every_month():
    """p = 1: c = 0.201 + 3 + 1 × 3.201 = 6.402;  c0 = 0.101 + 0.101 = 0.202;
    1,000 bans a month; the farm pays the instance 1000 × 3 × 2 = 6000."""
    out = compute(SMALL.with_(detection=D("1")))
    assert out.cost_per_bot_month == D("6.402")
    assert out.cost_per_bot_month_captcha == D("0.202")
    assert out.farm_per_month == D("6402")
    assert out.bans_per_month == D("1000")
    assert out.expected_bot_lifetime_months == D("1")
    assert out.farm_fees_to_instance_per_month == D("6000")


def test_zero_fee_is_captcha_only():
    """F = 0: no card is needed, so c = c0 = 0.101 + 0.5 × 0.101 = 0.1515 and the multiple is 1."""
    out = compute(SMALL.with_(fee=D("0"), detection=D("0.5")))
    assert out.cost_per_bot_month == D("0.1515")
    assert out.cost_per_bot_month_captcha == D("0.1515")
    assert out.multiple == 1
    assert out.honest_income_per_month == 0


def test_defaults_over_a_year():
    """Defaults: A = 0.80/1000 + 0.10 = 0.1008; C = 0.10; f = 3; p = 0.05; H = 12.
    c = 0.2008/12 + 3 + 0.05 × 3.2008 = 0.016733… + 3.16004 = 3.176773…
    c0 = 0.1008/12 + 0.05 × 0.1008 = 0.0084 + 0.00504 = 0.01344;  m = 236.37…"""
    out = compute(Inputs())
    assert out.cost_per_bot_month.quantize(D("0.000001")) == D("3.176773")
    assert out.cost_per_bot_month_captcha == D("0.01344")
    assert out.multiple.quantize(D("0.01")) == D("236.37")
    assert out.farm_per_month.quantize(D("1")) == D("317677")


def test_a_yearly_fee_is_spread_over_months():
    """12 a year is f = 1 a month: c = 0.201 + 1 = 1.201 with p = 0."""
    out = compute(SMALL.with_(fee=D("12"), interval="year"))
    assert out.fee_per_month == 1
    assert out.cost_per_bot_month == D("1.201")


def test_nothing_costs_nothing():
    free = SMALL.with_(fee=D("0"), captcha_per_thousand=D("0"), phone_cost=D("0"))
    out = compute(free)
    assert out.cost_per_bot_month == 0
    assert out.multiple is None


def test_dearer_cards_cost_the_farm_more():
    kinds = by_card_kind(Inputs())
    assert kinds["virtual"].cost_per_bot_month < kinds["stolen (high)"].cost_per_bot_month
    # c = (0.1008 + 30)/12 + 3 + 0.05 × (3 + 30 + 0.1008)
    expected = (D("30.1008") / 12 + 3 + D("0.05") * D("33.1008")).quantize(D("0.000001"))
    assert kinds["stolen (high)"].cost_per_bot_month.quantize(D("0.000001")) == expected


def test_the_sweep_is_rows_of_detection_and_columns_of_fees():
    grid = sweep(SMALL, [D("0"), D("3")], [D("0"), D("1")])
    assert grid[0][1].cost_per_bot_month == D("3.201")
    assert grid[1][1].cost_per_bot_month == D("6.402")
    assert grid[1][0].multiple == 1


@pytest.mark.parametrize(
    "change",
    [{"detection": D("1.5")}, {"fee": D("-1")}, {"interval": "fortnight"}, {"horizon_months": 0}],
)
def test_it_refuses_impossible_inputs(change):
    with pytest.raises(ValueError):
        SMALL.with_(**change)


def test_money_shows_small_costs():
    assert money(D("3.17677")) == "$3.18"
    assert money(D("0.00084")) == "$0.0008"
    assert money(D("0.01344")) == "$0.0134"
    assert money(D("317677.3")) == "$317,677.30"
