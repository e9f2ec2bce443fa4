"""No card number or CVC is kept anywhere: not in the database, not in the logs."""

from __future__ import annotations

import contextlib
import logging
import re

import pytest
from django.apps import apps
from django.db import connection

from obole.membership import services
from obole.membership.errors import MembershipError
from tests.conftest import NOW, Api, card, make_account, token_for

pytestmark = pytest.mark.django_db

# Distinctive CVCs, so a hit cannot be a coincidence in some id, count or timestamp: each starts
# with a zero, which no number the logs print does ("invoice 731 attempt 1" once matched a CVC
# of 731 on PostgreSQL, whose sequences run on across tests).
PAYMENTS = [
    ("4242424242424242", "4242 4242 4242 4242", "073"),
    ("5555555555554444", "5555-5555-5555-4444", "084"),
    ("378282246310005", "3782 822463 10005", "0915"),
    ("4000000000009995", "4000000000009995", "065"),  # declined
    ("4000000000000341", "4000 0000 0000 0341", "057"),  # fails when charged
    ("4242424242424241", "4242424242424241", "091"),  # Luhn-invalid
]


def every_stored_value() -> str:
    """Every column of every table, as text."""
    chunks = []
    with connection.cursor() as cursor:
        for model in apps.get_models():
            table = model._meta.db_table
            columns = ", ".join(connection.ops.quote_name(f.column) for f in model._meta.concrete_fields)
            cursor.execute(f"SELECT {columns} FROM {connection.ops.quote_name(table)}")  # noqa: S608
            chunks.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(chunks)


def test_no_card_number_or_cvc_reaches_the_database_or_the_logs(caplog, capsys):
    caplog.set_level(logging.DEBUG)
    for i, (digits, typed, cvc) in enumerate(PAYMENTS):
        account = make_account(f"payer{i}")
        # Half through the service, half through the HTTP API with logging of requests on.
        if i % 2:
            api = Api(token_for(account))
            api.post(
                "/api/obole/v1/membership/payment_method",
                {"card_number": typed, "exp_month": 12, "exp_year": 2030, "cvc": cvc},
            )
        else:
            with contextlib.suppress(MembershipError):
                services.pay(account, card(typed, cvc=cvc), now=NOW)

    stored = every_stored_value()
    logged = caplog.text + "".join(capsys.readouterr())
    assert "4242" in stored  # the scan sees data: last4 is kept, by design
    for digits, typed, cvc in PAYMENTS:
        for haystack in (stored, logged):
            assert digits not in haystack
            assert typed not in haystack
            assert digits[:12] not in haystack  # no partial number beyond last4 either
        assert f"'{cvc}'" not in stored
        # As a number of its own: three digits turn up inside the long ids that logs name.
        assert not re.search(rf"(?<!\d){cvc}(?!\d)", logged)
