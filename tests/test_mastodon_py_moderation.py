"""Reporting and moderating with Mastodon.py against a real server, as moderation apps do."""

from __future__ import annotations

import subprocess
import sys

import pytest
from mastodon import Mastodon, MastodonAPIError

from tests.live import serve
from tests.test_mastodon_py import PASSWORD, pay, raw

pytestmark = pytest.mark.slow

SCOPES = ["read", "write", "follow", "push", "admin:read", "admin:write"]


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    with serve(tmp_path_factory.mktemp("obole-mastodon-moderation"), "mastodonmod") as running:
        yield running


def sign_up(server: str, app: tuple[str, str], username: str, scopes: list[str]) -> Mastodon:
    registrar = Mastodon(client_id=app[0], client_secret=app[1], api_base_url=server)
    registrar.create_account(username, PASSWORD, f"{username}@example.org", agreement=True, scopes=scopes)
    client = Mastodon(client_id=app[0], client_secret=app[1], api_base_url=server, version_check_mode="none")
    client.log_in(username, PASSWORD, scopes=scopes, allow_http=True)
    return client


def test_a_report_made_in_an_app_is_worked_by_a_moderation_app(live):
    server, env = live
    app = Mastodon.create_app("Obole moderation tests", scopes=SCOPES, api_base_url=server)
    spammer = sign_up(server, app, "spamco", ["read", "write"])
    pay(server, spammer, "4242424242424242")
    pitch = spammer.status_post("Cheap pills at spam.example, today only")
    member = sign_up(server, app, "lena", ["read", "write"])
    spammer_id = spammer.me().id

    report = member.report(spammer_id, status_ids=[pitch.id], comment="pill spam", category="spam")
    assert str(report.target_account.id) == str(spammer_id) and report.action_taken is False

    staff = sign_up(server, app, "kim", SCOPES)
    # Not staff yet: the admin API refuses, whatever the token's scopes.
    with pytest.raises(MastodonAPIError):
        staff.admin_reports()
    code = (
        "from obole.accounts.models import Account; "
        "Account.objects.filter(username='kim').update(is_staff=True)"
    )
    subprocess.run([sys.executable, "-m", "obole", "shell", "-c", code], env=env, check=True, timeout=120)

    queue = staff.admin_reports()
    assert [str(r.id) for r in queue] == [str(report.id)]
    assert staff.admin_report(report.id).statuses[0].content.startswith("<p>Cheap pills")
    assert staff.admin_report_assign(report.id).assigned_account.username == "kim"
    staff.admin_account_moderate(spammer_id, action="suspend", report_id=report.id, text="pill spam")
    assert staff.admin_account(spammer_id).suspended is True
    assert staff.admin_reports() == []
    status, body = raw(server, spammer, "/api/v1/statuses", {"status": "still selling"})
    assert status == 402 and "suspended" in body["error"]
