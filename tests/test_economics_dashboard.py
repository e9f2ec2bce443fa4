"""/staff/economics: revenue, members by state, bot pressure and the latest simulation, for staff only."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from obole.accounts.models import Account
from obole.accounts.services import create_account
from obole.economics.model import Inputs
from obole.economics.models import SimulationRun
from obole.economics.simulation.records import ActorRecord, summarize
from obole.economics.simulation.rules import Stop
from obole.membership import services
from obole.membership.errors import CardRejected
from tests.conftest import PASSWORD, card, make_account


def a_small_run() -> dict:
    """A summary made from records such as a run produces (no server needed to draw it)."""
    through = ActorRecord(
        "bot",
        "honest_operator",
        "b1",
        "172.16.0.2",
        sign_up_attempts=1,
        card_attempts=1,
        signed_up=True,
        paid=True,
        card="bot-0",
        paid_minor=600,
    )
    refused = ActorRecord(
        "bot",
        "card_pool",
        "b2",
        "172.16.0.3",
        sign_up_attempts=1,
        card_attempts=1,
        signed_up=True,
        stopped_by=Stop("one_card_per_account", "payment", 0, 422, "", "message"),
    )
    human = ActorRecord(
        "human",
        "human",
        "h1",
        "100.64.0.2",
        sign_up_attempts=1,
        card_attempts=1,
        signed_up=True,
        paid=True,
        card="human-0",
        paid_minor=600,
    )
    for record in (through, human):
        for day in (0, 31, 38):
            record.saw_write(day, True)
    refused.saw_write(0, False)
    server = {"url": "http://127.0.0.1:8000", "fee": "3", "currency": "USD", "interval": "month"}
    return summarize([through, refused, human], [0, 31, 38], server=server, model_inputs=Inputs(), extra={})


@pytest.fixture
def staff(db):
    account = make_account("operator")
    Account.objects.filter(pk=account.pk).update(is_staff=True)
    return account


PAGES = ("/staff/economics", "/staff/economics/charts/pressure.png", "/staff/economics/charts/revenue.png")


def test_outsiders_and_members_get_404(client, member):
    for page in PAGES:
        assert client.get(page).status_code == 404
    client.login(username=member.username, password=PASSWORD)
    for page in PAGES:
        assert client.get(page).status_code == 404


def test_staff_see_the_figures_and_charts(client, staff, member, newcomer, settings):
    now = timezone.now()
    # Refusals made for real: two card attempts today and one two days ago, a throttled sign-up.
    for when in (now, now, now - timedelta(days=2)):
        with pytest.raises(CardRejected):
            services.pay(newcomer, card("4242424242424241"), now=when)
    settings.OBOLE_SIGNUPS_PER_IP = 1
    create_account("first", PASSWORD, "first@example.org", ip="192.0.2.7")
    with pytest.raises(ValidationError):
        create_account("second", PASSWORD, "second@example.org", ip="192.0.2.7")
    client.login(username=staff.username, password=PASSWORD)
    response = client.get("/staff/economics")
    assert response.status_code == 200
    page = response.content.decode()
    assert "<script>" not in page  # charts are images drawn on the server
    assert page.count('src="/staff/economics/charts/') == 3
    for name in ("revenue", "members", "pressure"):
        image = client.get(f"/staff/economics/charts/{name}.png")
        assert image["Content-Type"] == "image/png" and image.content.startswith(b"\x89PNG")
    assert client.get("/staff/economics/charts/outcomes.png").status_code == 404  # no simulation yet
    assert client.get("/staff/economics/charts/other.png").status_code == 404
    assert "3.00 USD" in page  # the member's first charge, from the ledger
    assert 'payment: invalid_card_number</td><td class="num">3<' in page
    assert 'sign up: signups_per_ip</td><td class="num">1<' in page
    earlier = (now - timedelta(days=2)).date().isoformat()
    assert f'rowspan="1">{earlier}</th><td>payment: invalid_card_number</td><td class="num">1<' in page
    assert "No simulation yet" in page
    assert "<strong>1</strong> active" in page and "pending payment" in page


def test_staff_see_the_latest_simulation(client, staff):
    now = timezone.now()
    SimulationRun.objects.create(
        server="http://old",
        started_at=now - timedelta(days=1),
        finished_at=now - timedelta(days=1),
        summary=a_small_run(),
        results=[],
    )
    SimulationRun.objects.create(
        server="http://127.0.0.1:8000", started_at=now, finished_at=now, summary=a_small_run(), results=[]
    )
    client.login(username=staff.username, password=PASSWORD)
    page = client.get("/staff/economics").content.decode()
    assert "Against http://127.0.0.1:8000" in page
    assert page.count('src="/staff/economics/charts/') == 5
    image = client.get("/staff/economics/charts/outcomes.png")
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
    assert 'card_in_use</td><td class="num">' not in page  # the small run's rule is read from a message
    assert 'one_card_per_account</td><td class="num">1<' in page  # bots stopped, by rule


def test_members_by_state_are_rebuilt_day_by_day(staff, member, newcomer):
    from obole.economics.dashboard import members_by_state

    series = members_by_state(timezone.now(), 3)
    assert series["active"][-1] == 1  # the member, paid today
    assert series["pending_payment"][-1] == 2  # the newcomer and the staff account, unpaid
