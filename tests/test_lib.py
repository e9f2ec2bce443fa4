"""The small pure pieces: env readers, money, IDs, periods, cards and plan prices."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from obole.lib import snowflake
from obole.lib.env import (
    ConfigError,
    env_bool,
    env_choice,
    env_int,
    env_int_list,
    env_list,
    env_str,
)
from obole.lib.money import exponent, format_amount, parse_amount, valid_currency
from obole.membership import periods
from obole.membership.cards import (
    CardError,
    brand_of,
    check_card,
    luhn_valid,
    normalize_number,
)
from obole.membership.plans import Plan, parse_country_prices
from tests.conftest import NOW

# --- env ---------------------------------------------------------------------

UNSET_OR_EMPTY = [{}, {"X": ""}, {"X": "   "}]


@pytest.mark.parametrize("environ", UNSET_OR_EMPTY)
def test_every_reader_returns_its_default_when_the_variable_is_unset_or_empty(environ):
    assert env_str("X", "fallback", environ=environ) == "fallback"
    assert env_bool("X", True, environ=environ) is True
    assert env_bool("X", False, environ=environ) is False
    assert env_int("X", 7, minimum=1, maximum=9, environ=environ) == 7
    assert env_int_list("X", [1, 3, 5], environ=environ) == [1, 3, 5]
    assert env_choice("X", "month", ("day", "month"), environ=environ) == "month"
    assert env_list("X", ["a", "b"], environ=environ) == ["a", "b"]


def test_list_defaults_are_copies_so_callers_cannot_change_them():
    default = [1, 3, 5]
    env_int_list("X", default, environ={}).append(9)
    assert default == [1, 3, 5]


def test_env_str_strips_surrounding_whitespace():
    assert env_str("X", environ={"X": "  hello  "}) == "hello"


def test_readers_use_os_environ_when_no_mapping_is_given(monkeypatch):
    monkeypatch.setenv("OBOLE_TEST_READER", "42")
    assert env_int("OBOLE_TEST_READER", 0) == 42
    monkeypatch.delenv("OBOLE_TEST_READER")
    assert env_int("OBOLE_TEST_READER", 5) == 5


@pytest.mark.parametrize("text", ["1", "true", "TRUE", "yes", "On", " true "])
def test_env_bool_reads_true(text):
    assert env_bool("X", False, environ={"X": text}) is True


@pytest.mark.parametrize("text", ["0", "false", "False", "no", "OFF"])
def test_env_bool_reads_false(text):
    assert env_bool("X", True, environ={"X": text}) is False


@pytest.mark.parametrize("text", ["maybe", "2", "y", "tru"])
def test_env_bool_refuses_anything_else_naming_the_variable(text):
    with pytest.raises(ConfigError, match="OBOLE_FLAG must be true or false"):
        env_bool("OBOLE_FLAG", False, environ={"OBOLE_FLAG": text})


def test_env_int_parses_whole_numbers_including_negative_ones():
    assert env_int("X", 0, environ={"X": "12"}) == 12
    assert env_int("X", 0, environ={"X": " -3 "}) == -3


@pytest.mark.parametrize("text", ["1.5", "ten", "1e3", "0x10"])
def test_env_int_refuses_what_is_not_a_whole_number_naming_the_variable(text):
    with pytest.raises(ConfigError, match="OBOLE_COUNT must be a whole number"):
        env_int("OBOLE_COUNT", 1, environ={"OBOLE_COUNT": text})


def test_env_int_enforces_its_minimum_and_maximum_inclusively():
    assert env_int("X", 5, minimum=1, maximum=10, environ={"X": "1"}) == 1
    assert env_int("X", 5, minimum=1, maximum=10, environ={"X": "10"}) == 10
    with pytest.raises(ConfigError, match="OBOLE_N must be at least 1, not 0"):
        env_int("OBOLE_N", 5, minimum=1, maximum=10, environ={"OBOLE_N": "0"})
    with pytest.raises(ConfigError, match="OBOLE_N must be at most 10, not 11"):
        env_int("OBOLE_N", 5, minimum=1, maximum=10, environ={"OBOLE_N": "11"})


def test_env_int_list_parses_comma_separated_numbers_ignoring_blanks():
    assert env_int_list("X", [], environ={"X": "1, 3,5,"}) == [1, 3, 5]


def test_env_int_list_refuses_words_and_negative_numbers_naming_the_variable():
    with pytest.raises(ConfigError, match="OBOLE_DAYS must be comma-separated whole numbers"):
        env_int_list("OBOLE_DAYS", [], environ={"OBOLE_DAYS": "1,two,3"})
    with pytest.raises(ConfigError, match="OBOLE_DAYS must not contain negative numbers"):
        env_int_list("OBOLE_DAYS", [], environ={"OBOLE_DAYS": "1,-3"})


def test_env_choice_accepts_a_listed_value_in_any_case_and_returns_it_lowercased():
    assert env_choice("X", "day", ("day", "week"), environ={"X": "WEEK"}) == "week"


def test_env_choice_refuses_an_unlisted_value_naming_the_variable_and_the_choices():
    with pytest.raises(ConfigError, match="OBOLE_KIND must be one of day, week, not 'fortnight'"):
        env_choice("OBOLE_KIND", "day", ("day", "week"), environ={"OBOLE_KIND": "fortnight"})


def test_env_list_splits_on_commas_and_drops_empty_items():
    assert env_list("X", [], environ={"X": "a.example, b.example ,,"}) == ["a.example", "b.example"]


def test_config_error_is_a_value_error():
    assert issubclass(ConfigError, ValueError)


# --- money -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("3.00", "USD", 300),
        ("3", "USD", 300),
        ("0.05", "eur", 5),
        ("3.000", "USD", 300),  # trailing zeros are not fractions of a cent
        ("450", "JPY", 450),
        ("1.234", "KWD", 1234),
        ("2", "KWD", 2000),
        ("0", "USD", 0),
    ],
)
def test_parse_amount_turns_major_units_into_minor_units(text, currency, minor):
    assert parse_amount(text, currency) == minor


@pytest.mark.parametrize(
    ("text", "currency"),
    [("3.001", "USD"), ("0.5", "JPY"), ("450.1", "JPY"), ("1.2345", "KWD")],
)
def test_parse_amount_refuses_fractions_of_the_minor_unit(text, currency):
    with pytest.raises(ValueError, match=f"more decimals than {currency}"):
        parse_amount(text, currency)


@pytest.mark.parametrize("text", ["-1", "-0.01"])
def test_parse_amount_refuses_negative_amounts(text):
    with pytest.raises(ValueError, match="not a positive amount"):
        parse_amount(text, "USD")


@pytest.mark.parametrize("text", ["NaN", "Infinity", "-Infinity"])
def test_parse_amount_refuses_amounts_that_are_not_finite(text):
    with pytest.raises(ValueError, match="not a positive amount"):
        parse_amount(text, "USD")


@pytest.mark.parametrize("text", ["", "abc", "3,00", "$3", "3.00 USD", "1..2"])
def test_parse_amount_refuses_garbage(text):
    with pytest.raises(ValueError, match="is not an amount"):
        parse_amount(text, "USD")


@pytest.mark.parametrize(
    ("minor", "currency", "text"),
    [
        (300, "USD", "3.00 USD"),
        (5, "usd", "0.05 USD"),
        (0, "EUR", "0.00 EUR"),
        (450, "JPY", "450 JPY"),
        (1234, "KWD", "1.234 KWD"),
        (2000, "BHD", "2.000 BHD"),
        (123456789, "GBP", "1234567.89 GBP"),
    ],
)
def test_format_amount_writes_the_currencys_number_of_decimals(minor, currency, text):
    assert format_amount(minor, currency) == text


@pytest.mark.parametrize("currency", ["USD", "JPY", "KWD"])
def test_format_then_parse_gives_back_the_same_minor_units(currency):
    for minor in (0, 1, 99, 100, 12345):
        amount_text = format_amount(minor, currency).split()[0]
        assert parse_amount(amount_text, currency) == minor


def test_exponents_of_common_currencies():
    assert (exponent("USD"), exponent("jpy"), exponent("KWD"), exponent("XYZ")) == (2, 0, 3, 2)


def test_a_valid_currency_is_three_ascii_letters():
    assert valid_currency("USD")
    assert not valid_currency("US")
    assert not valid_currency("USDT")
    assert not valid_currency("U5D")
    assert not valid_currency("ÜSD")


# --- snowflake ---------------------------------------------------------------


def test_ids_are_strictly_increasing_within_a_process():
    ids = [snowflake.next_id() for _ in range(10_000)]
    assert all(a < b for a, b in zip(ids, ids[1:], strict=False))


def test_ids_fit_in_a_signed_64_bit_integer_with_the_sign_bit_clear():
    for _ in range(100):
        assert 0 < snowflake.next_id() < 2**63


def test_ids_carry_the_time_they_were_minted(monkeypatch):
    # Another test may have travelled in time; start from the real clock.
    monkeypatch.setattr(snowflake, "_last_ms", 0)
    before = datetime.now(UTC)
    minted = snowflake.next_id()
    after = datetime.now(UTC)
    assert snowflake.id_at(before) <= minted < snowflake.id_at(after + timedelta(milliseconds=1))


def test_id_at_is_ordered_by_time_and_is_the_smallest_id_of_its_millisecond():
    earlier = snowflake.id_at(NOW)
    later = snowflake.id_at(NOW + timedelta(milliseconds=1))
    assert earlier < later
    assert later - earlier == 1 << 16
    assert earlier == int(NOW.timestamp() * 1000) << 16
    assert earlier % (1 << 16) == 0


def test_an_id_minted_now_is_above_id_at_a_past_moment_and_below_id_at_a_future_one(monkeypatch):
    # Another test may have travelled in time; start from the real clock.
    monkeypatch.setattr(snowflake, "_last_ms", 0)
    minted = snowflake.next_id()
    assert snowflake.id_at(datetime.now(UTC) - timedelta(seconds=1)) < minted
    assert minted < snowflake.id_at(datetime.now(UTC) + timedelta(seconds=1))


# --- periods -----------------------------------------------------------------

JAN_31 = datetime(2026, 1, 31, 9, 30, tzinfo=UTC)


def test_a_month_anchored_on_january_31_renews_on_the_last_day_of_short_months_without_drifting():
    assert [periods.boundary(JAN_31, "month", i) for i in range(5)] == [
        JAN_31,
        datetime(2026, 2, 28, 9, 30, tzinfo=UTC),
        datetime(2026, 3, 31, 9, 30, tzinfo=UTC),
        datetime(2026, 4, 30, 9, 30, tzinfo=UTC),
        datetime(2026, 5, 31, 9, 30, tzinfo=UTC),
    ]


def test_next_boundary_is_strictly_after_the_given_moment():
    feb_28 = datetime(2026, 2, 28, 9, 30, tzinfo=UTC)
    assert periods.next_boundary(JAN_31, "month", JAN_31) == feb_28
    assert periods.next_boundary(JAN_31, "month", feb_28 - timedelta(microseconds=1)) == feb_28
    assert periods.next_boundary(JAN_31, "month", feb_28) == datetime(2026, 3, 31, 9, 30, tzinfo=UTC)
    march_31 = datetime(2026, 3, 31, 9, 30, tzinfo=UTC)
    assert periods.next_boundary(JAN_31, "month", march_31) == datetime(2026, 4, 30, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize("interval", ["day", "week", "month", "year"])
def test_next_boundary_agrees_with_counting_period_by_period(interval):
    # Over many moments spread across years, the estimate-and-correct answer
    # must be the first boundary after the moment.
    span = {"day": 3, "week": 20, "month": 90, "year": 1200}[interval]
    moment = JAN_31
    for _ in range(400):
        moment += timedelta(days=span / 7, hours=5, minutes=17)
        expected = next(
            periods.boundary(JAN_31, interval, i)
            for i in range(1, 100_000)
            if periods.boundary(JAN_31, interval, i) > moment
        )
        assert periods.next_boundary(JAN_31, interval, moment) == expected


def test_day_week_and_year_periods():
    assert periods.boundary(NOW, "day", 1) == NOW + timedelta(days=1)
    assert periods.boundary(NOW, "week", 2) == NOW + timedelta(weeks=2)
    assert periods.boundary(NOW, "year", 1) == datetime(2027, 11, 1, 12, 0, tzinfo=UTC)
    assert periods.next_boundary(NOW, "day", NOW + timedelta(hours=30)) == NOW + timedelta(days=2)
    assert periods.next_boundary(NOW, "week", NOW + timedelta(days=7)) == NOW + timedelta(days=14)
    assert periods.next_boundary(NOW, "year", NOW) == datetime(2027, 11, 1, 12, 0, tzinfo=UTC)


def test_a_year_anchored_on_a_leap_day_renews_on_february_28_and_returns_to_the_29th():
    leap_day = datetime(2024, 2, 29, tzinfo=UTC)
    assert periods.boundary(leap_day, "year", 1) == datetime(2025, 2, 28, tzinfo=UTC)
    assert periods.boundary(leap_day, "year", 4) == datetime(2028, 2, 29, tzinfo=UTC)


# --- cards -------------------------------------------------------------------


@pytest.mark.parametrize(
    "number",
    ["4242424242424242", "5555555555554444", "378282246310005", "6011111111111117", "4000000000000002"],
)
def test_luhn_accepts_well_known_test_numbers(number):
    assert luhn_valid(number)


@pytest.mark.parametrize("number", ["4242424242424241", "5555555555554445", "1234567812345678"])
def test_luhn_refuses_a_wrong_check_digit(number):
    assert not luhn_valid(number)


@pytest.mark.parametrize(
    ("number", "brand"),
    [
        ("4242424242424242", "visa"),
        ("5555555555554444", "mastercard"),
        ("2223003122003222", "mastercard"),
        ("378282246310005", "amex"),
        ("341111111111111", "amex"),
        ("6011111111111117", "discover"),
        ("6500000000000002", "discover"),
        ("9999999999999995", "unknown"),
    ],
)
def test_brand_of_recognises_the_brand_by_leading_digits(number, brand):
    assert brand_of(number) == brand


def test_normalize_removes_spaces_and_dashes():
    assert normalize_number("4242 4242-4242 4242") == "4242424242424242"


def check(number="4242424242424242", exp_month=12, exp_year=2030, cvc="123", now=NOW):
    return check_card(number, exp_month, exp_year, cvc, now)


def test_check_card_returns_the_normalised_digits():
    assert check("4242 4242 4242 4242") == "4242424242424242"
    assert check("4242-4242-4242-4242") == "4242424242424242"


@pytest.mark.parametrize("number", ["42424242424", "4" * 20, "", "4242 4242 4242 424x"])
def test_check_card_refuses_a_number_of_the_wrong_length_or_with_letters(number):
    with pytest.raises(CardError, match="12 to 19 digits") as caught:
        check(number)
    assert caught.value.field == "card_number"


@pytest.mark.parametrize(
    "number", ["４２４２４２４２４２４２４２４２", "٤٢٤٢٤٢٤٢٤٢٤٢٤٢٤٢", "4242424242424²42"]
)
def test_check_card_refuses_digits_that_are_not_ascii(number):
    # Full-width or Arabic-Indic digits would otherwise pass and get a different
    # fingerprint from the same card typed in ASCII, dodging the one-card rule.
    with pytest.raises(CardError, match="12 to 19 digits"):
        check(number)


def test_check_card_refuses_a_number_failing_luhn():
    with pytest.raises(CardError, match="invalid") as caught:
        check("4242424242424241")
    assert caught.value.field == "card_number"


@pytest.mark.parametrize("month", [0, 13])
def test_check_card_refuses_a_month_outside_1_to_12(month):
    with pytest.raises(CardError, match="between 1 and 12") as caught:
        check(exp_month=month)
    assert caught.value.field == "exp_month"


def test_check_card_refuses_a_card_that_expired_before_the_given_now():
    with pytest.raises(CardError, match="expired") as caught:
        check(exp_month=10, exp_year=2026, now=NOW)
    assert caught.value.field == "exp_year"
    with pytest.raises(CardError, match="expired"):
        check(exp_month=12, exp_year=2025, now=NOW)


def test_check_card_accepts_a_card_expiring_in_the_current_month():
    assert check(exp_month=11, exp_year=2026, now=NOW) == "4242424242424242"


def test_the_same_card_is_expired_or_not_depending_on_now():
    assert check(exp_month=1, exp_year=2027, now=NOW)
    with pytest.raises(CardError, match="expired"):
        check(exp_month=1, exp_year=2027, now=datetime(2027, 2, 1, tzinfo=UTC))


def test_check_card_reads_a_two_digit_year_as_this_century():
    assert check(exp_month=12, exp_year=30) == "4242424242424242"
    with pytest.raises(CardError, match="expired"):
        check(exp_month=12, exp_year=25)


def test_check_card_refuses_an_expiry_more_than_fifty_years_ahead():
    assert check(exp_year=NOW.year + 50)
    with pytest.raises(CardError, match="too far in the future"):
        check(exp_year=NOW.year + 51)


def test_check_card_wants_a_three_digit_cvc_for_most_brands():
    assert check(cvc="123")
    for cvc in ("12", "1234", "12a", ""):
        with pytest.raises(CardError, match="must be 3 digits") as caught:
            check(cvc=cvc)
        assert caught.value.field == "cvc"


def test_check_card_refuses_a_cvc_in_digits_that_are_not_ascii():
    with pytest.raises(CardError, match="must be 3 digits"):
        check(cvc="１２３")


def test_check_card_wants_a_four_digit_cvc_for_amex():
    assert check("3782 822463 10005", cvc="1234") == "378282246310005"
    with pytest.raises(CardError, match="must be 4 digits"):
        check("378282246310005", cvc="123")


# --- plans -------------------------------------------------------------------


def test_parse_country_prices_reads_a_valid_list():
    prices = parse_country_prices("GB=2.50 GBP; jp = 450 jpy ;KW=1.250 KWD;", "month")
    assert prices == {
        "GB": Plan(250, "GBP", "month"),
        "JP": Plan(450, "JPY", "month"),
        "KW": Plan(1250, "KWD", "month"),
    }
    assert str(prices["JP"]) == "450 JPY a month"


def test_parse_country_prices_of_an_empty_text_is_empty():
    assert parse_country_prices("", "year") == {}
    assert parse_country_prices(" ; ", "year") == {}


@pytest.mark.parametrize(
    "text",
    [
        "GB 2.50 GBP",
        "GB=2.50",
        "GB=2.50 GBP extra",
        "GB=2.50=GBP",
        "GBR=2.50 GBP",
        "G1=2.50 GBP",
        "GB=2.50 POUND",
        "GB=2.505 GBP",
        "GB=two GBP",
        "GB=-1 GBP",
        "GB=0 GBP",
        "GB=2.50 GBP; JP=450.5 JPY",
    ],
)
def test_parse_country_prices_refuses_a_malformed_entry_naming_the_variable(text):
    with pytest.raises(ConfigError, match="OBOLE_FEE_BY_COUNTRY"):
        parse_country_prices(text, "month")


def test_parse_id_takes_what_a_bigint_column_holds():
    from obole.lib.snowflake import parse_id

    assert parse_id("117707624520117612") == 117707624520117612
    assert parse_id(42) == 42
    for bad in ("", "abc", "-1", "1.5", "١٢", str(2**63), None, True, 2**63):
        assert parse_id(bad) is None, bad
