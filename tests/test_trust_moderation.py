"""Reports, the staff queue and its actions, the audit log, held posts, the admin API."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from obole.accounts.graph import follow
from obole.membership import services as membership_services
from obole.membership.errors import CardRejected
from obole.membership.models import LedgerEntry
from obole.posts.services import post_status
from obole.trust import moderation
from obole.trust.models import AppendOnlyError, AuditEntry, Report
from tests.conftest import NOW, Api, card, make_account, token_for
from tests.schema import assert_entity

pytestmark = pytest.mark.django_db

ADMIN = "read write admin:read admin:write"


@pytest.fixture
def staff(db):
    account = make_account("sam", paid=True, number="4000056655665556")
    account.is_staff = True
    account.save()
    return account


@pytest.fixture
def spammer(db):
    return make_account("spammy", paid=True, number="5200828282828210")


def web_as(account) -> Client:
    client = Client()
    client.force_login(account, backend="obole.accounts.backends.UsernameOrEmailBackend")
    return client


# --- Reports ------------------------------------------------------------------------


def test_a_member_reports_through_the_api_in_mastodons_shape(member, spammer):
    status = post_status(spammer, "buy cheap pills at spam.example")
    response = Api(token_for(member)).post(
        "/api/v1/reports",
        {
            "account_id": str(spammer.pk),
            "status_ids": [str(status.pk)],
            "comment": "spam",
            "category": "spam",
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert_entity("Report", body)
    assert body["target_account"]["id"] == str(spammer.pk)
    assert body["status_ids"] == [str(status.pk)]
    assert body["action_taken"] is False and body["category"] == "spam"
    assert Report.objects.get(pk=body["id"]).reporter == member


def test_an_unpaid_member_may_report_too_but_bad_input_is_refused(newcomer, spammer):
    api = Api(token_for(newcomer))
    assert api.post("/api/v1/reports", {"account_id": str(spammer.pk)}).status_code == 200
    assert api.post("/api/v1/reports", {"account_id": "nope"}).status_code == 422
    assert api.post("/api/v1/reports", {"account_id": "123"}).status_code == 404
    assert api.post("/api/v1/reports", {"account_id": str(spammer.pk), "category": "x"}).status_code == 422
    other = post_status(make_account("other", paid=True), "hello there my friends")
    response = api.post("/api/v1/reports", {"account_id": str(spammer.pk), "status_ids": [str(other.pk)]})
    assert response.status_code == 422
    assert Api(None).post("/api/v1/reports", {"account_id": str(spammer.pk)}).status_code == 401


def test_reports_are_rate_limited(settings, member, spammer):
    settings.OBOLE_REPORTS_PER_HOUR = 2
    api = Api(token_for(member))
    codes = [api.post("/api/v1/reports", {"account_id": str(spammer.pk)}).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    assert "Too many reports" in api.post("/api/v1/reports", {"account_id": str(spammer.pk)}).json()["error"]


def test_a_member_reports_a_post_from_the_web_page(member, spammer):
    status = post_status(spammer, "buy cheap pills at spam.example")
    client = web_as(member)
    page = client.get(f"/reports/new?account={spammer.username}&status={status.pk}")
    assert page.status_code == 200 and "Report @spammy" in page.content.decode()
    response = client.post(
        f"/reports/new?account={spammer.username}&status={status.pk}",
        {"category": "spam", "comment": "pills"},
    )
    assert response.status_code == 302
    report = Report.objects.get()
    assert (report.reporter, report.target, report.status_ids, report.category) == (
        member,
        spammer,
        [status.pk],
        "spam",
    )


# --- Actions and the audit log ---------------------------------------------------------


def test_every_action_is_audited_with_who_what_why_and_when(staff, spammer):
    now = timezone.now()
    status = post_status(spammer, "a post to moderate, with enough words")
    item = moderation.flag(spammer, "test", now=now)
    steps = [
        ("remove_post", lambda: moderation.remove_post(staff, status, "r1", now=now)),
        ("restore_post", lambda: moderation.restore_post(staff, status, "r2", now=now)),
        ("hold_post", lambda: moderation.hold_post(staff, status, "r3", now=now)),
        ("suspend", lambda: moderation.suspend(staff, spammer, "r4", now=now)),
        ("unsuspend", lambda: moderation.unsuspend(staff, spammer, "r5", now=now)),
        ("hold_account", lambda: moderation.hold_account(staff, spammer, "r6", now=now)),
        ("release_account", lambda: moderation.release_account(staff, spammer, "r7", now=now)),
        ("throttle", lambda: moderation.throttle(staff, spammer, "r8", now=now)),
        ("unthrottle", lambda: moderation.unthrottle(staff, spammer, "r9", now=now)),
        ("assign", lambda: moderation.assign(staff, item, staff, now=now)),
        ("resolve", lambda: moderation.resolve(staff, item, "r11", now=now)),
        ("reopen", lambda: moderation.reopen(staff, item, "r12", now=now)),
        ("ban", lambda: moderation.ban(staff, spammer, "r13", now=now)),
        ("unban", lambda: moderation.unban(staff, spammer, "r14", now=now)),
    ]
    for action, run in steps:
        before = AuditEntry.objects.count()
        run()
        entries = list(AuditEntry.objects.order_by("id")[before:])
        assert [e.action for e in entries if e.action == action] == [action], action
        entry = [e for e in entries if e.action == action][0]
        assert entry.actor == staff and entry.target_account == spammer and entry.created_at == now
        assert entry.reason
    # release_account published the held post again, with its own entry.
    assert AuditEntry.objects.filter(action="restore_post").count() == 2


def test_a_reason_is_required_and_the_log_cannot_be_rewritten(staff, spammer):
    with pytest.raises(moderation.ReasonRequired):
        moderation.suspend(staff, spammer, "  ", now=NOW)
    moderation.suspend(staff, spammer, "spam", now=NOW)
    entry = AuditEntry.objects.get()
    entry.reason = "nothing happened"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.update(reason="x")


def test_a_suspended_account_is_read_only(staff, spammer):
    moderation.suspend(staff, spammer, "spam", now=timezone.now())
    response = Api(token_for(spammer)).post("/api/v1/statuses", {"status": "still here"})
    assert response.status_code == 402
    assert "suspended" in response.json()["error"]
    assert Api(token_for(spammer)).get("/api/v1/timelines/home").status_code == 200


def test_a_ban_blocklists_the_card_so_a_new_account_with_it_is_refused(staff, spammer):
    moderation.ban(staff, spammer, "bot farm", now=timezone.now())
    spammer.membership.refresh_from_db()
    assert spammer.membership.state == "banned"
    comeback = make_account("comeback")
    with pytest.raises(CardRejected, match="cannot be used"):
        membership_services.pay(comeback, card("5200828282828210"), now=timezone.now())


def test_a_ban_refunds_the_unused_period_when_set(settings, staff):
    settings.OBOLE_BAN_REFUND = "unused"
    banned = make_account("refundee", paid=True, now=NOW)
    charge = LedgerEntry.objects.get(account=banned, kind="charge")
    moderation.ban(staff, banned, "bot farm", now=NOW + timedelta(days=15))
    refund = LedgerEntry.objects.get(account=banned, kind="refund")
    # Half of a 30-day November unused: half the fee back, through the provider.
    assert refund.amount == -(charge.amount // 2)
    assert refund.provider_ref.startswith("re_")


# --- Held posts are for their author only ---------------------------------------------


def test_a_held_post_is_invisible_on_every_read_path_to_everyone_else(staff, member, spammer):
    follow(member, spammer)
    moderation.hold_account(staff, spammer, "looks like a bot", now=timezone.now())
    held = post_status(spammer, f"hello @{member.username} #offers see spam.example")
    assert held.moderation == "held"
    reader, author = Api(token_for(member)), Api(token_for(spammer))
    paths = [
        "/api/v1/timelines/home",
        "/api/v1/timelines/public",
        "/api/v1/timelines/tag/offers",
        f"/api/v1/accounts/{spammer.pk}/statuses",
        "/api/v2/search?q=offers&type=statuses",
        "/api/v1/notifications",
        f"/api/v1/statuses?id[]={held.pk}",
    ]
    for path in paths:
        assert str(held.pk) not in reader.get(path).content.decode(), path
        assert str(held.pk) not in Api(None).get(path).content.decode(), path
    assert reader.get(f"/api/v1/statuses/{held.pk}").status_code == 404
    assert reader.get(f"/api/v1/statuses/{held.pk}/context").status_code == 404
    web = web_as(member)
    for page in ("/home", f"/@{spammer.username}", "/tags/offers", f"/@{spammer.username}/{held.pk}"):
        assert "spam.example" not in web.get(page).content.decode(), page
    # The author still sees it.
    assert author.get(f"/api/v1/statuses/{held.pk}").status_code == 200
    assert str(held.pk) in author.get(f"/api/v1/accounts/{spammer.pk}/statuses").content.decode()
    # Released, it reaches the follower's timeline.
    moderation.release_account(staff, spammer, "a person after all", now=timezone.now())
    assert str(held.pk) in reader.get("/api/v1/timelines/home").content.decode()


def test_a_repost_of_a_held_post_is_hidden_as_well(staff, member, spammer):
    original = post_status(spammer, "a perfectly normal looking post at first")
    fan = make_account("fan", paid=True)
    from obole.posts.services import reblog

    repost = reblog(fan, original.pk)
    moderation.hold_post(staff, original, "review", now=timezone.now())
    page = Api(token_for(member)).get(f"/api/v1/accounts/{fan.pk}/statuses").content.decode()
    assert str(repost.pk) not in page


# --- Staff only, everywhere --------------------------------------------------------------


def _routes(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _routes(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


def _concrete(route: str) -> list[str]:
    """Every URL a route can take: each alternative of a choice group, "1" for each id."""
    path = route.lstrip("^").rstrip("$").replace("/?", "")
    path = re.sub(r"\(\?P<\w+>\[\^/\]\+\)", "1", path)
    path = re.sub(r"(?<!\?P)<(?:\w+:)?\w+>", "1", path)
    path = re.sub(r"\(\?P<\w+>\.\*\)", "anything", path)
    choice = re.search(r"\(\?P<\w+>([\w|]+)\)|v\[(\d+)\]", path)
    if choice is None:
        return ["/" + path]
    options = choice.group(1).split("|") if choice.group(1) else [f"v{d}" for d in choice.group(2)]
    return [
        url for option in options for url in _concrete(path[: choice.start()] + option + path[choice.end() :])
    ]


def staff_routes() -> list[str]:
    found = [r for r in _routes(get_resolver().url_patterns) if re.match(r"\^?(staff/|api/v\S*/admin)", r)]
    return sorted({url for route in found for url in _concrete(route)})


def test_the_walk_finds_every_staff_page_and_admin_endpoint():
    paths = staff_routes()
    assert "/staff/moderation" in paths and "/staff/trust" in paths
    assert "/api/v1/admin/accounts/1/action" in paths and "/api/v1/admin/reports/1/resolve" in paths
    assert len(paths) >= 12


def test_a_non_staff_user_gets_403_or_404_on_every_staff_page_and_admin_endpoint(member, spammer):
    report = Report.objects.create(reporter=member, target=spammer, created_at=NOW)
    web = web_as(member)
    api = Api(token_for(member, ADMIN))
    anonymous = Client()
    for path in staff_routes():
        path = path.replace("/1", f"/{report.pk}", 1) if "reports" in path else path
        # The API knows no session: without a token it answers 401. An endpoint answers a method
        # it does not serve with 405 before anything else; the method it serves must refuse.
        allowed = (401, 403, 404, 405) if path.startswith("/api/") else (403, 404)
        for client in (web, anonymous):
            codes = {client.get(path).status_code, client.post(path).status_code}
            assert codes <= set(allowed) and codes - {405}, (path, codes)
        codes = {api.get(path).status_code, api.post(path, {"type": "suspend", "text": "x"}).status_code}
        assert codes <= {403, 404, 405} and codes - {405}, (path, codes)
    assert Report.objects.get().resolved_at is None
    spammer.refresh_from_db()
    assert spammer.suspended_at is None


def test_django_admin_refuses_a_non_staff_user_on_every_page(member):
    """Django's own admin site answers anyone who is not staff with its sign-in page, never the page."""
    routes = [r for r in _routes(get_resolver().url_patterns) if r.startswith("admin/")]
    paths = sorted(
        {url for route in routes for url in _concrete(route)} - {"/admin/login/", "/admin/logout/"}
    )
    assert "/admin/trust/auditentry/" in paths and len(paths) > 50
    web = web_as(member)
    for path in paths:
        for response in (web.get(path), web.post(path)):
            assert response.status_code in (302, 403, 404), path
            if response.status_code == 302:
                assert response["Location"].startswith("/admin/login/"), path


# --- Staff pages --------------------------------------------------------------------------


def test_a_moderator_works_the_queue_from_the_browser_pages(staff, member, spammer):
    status = post_status(spammer, "buy cheap pills at spam.example now")
    moderation.report(member, spammer, status_ids=[status.pk], comment="pills", category="spam", now=NOW)
    web = web_as(staff)
    queue = web.get("/staff/moderation").content.decode()
    item = Report.objects.get()
    assert f"Report {item.pk}" in queue and "@spammy" in queue
    page = web.get(f"/staff/moderation/reports/{item.pk}")
    assert page.status_code == 200 and "buy cheap pills" in page.content.decode()
    assert web.post(f"/staff/moderation/reports/{item.pk}", {"action": "suspend"}).status_code == 422
    response = web.post(
        f"/staff/moderation/reports/{item.pk}", {"action": f"remove_post:{status.pk}", "reason": "spam"}
    )
    assert response.status_code == 302
    item.refresh_from_db()
    status.refresh_from_db()
    assert item.resolved_by == staff and status.moderation == "removed"
    assert "The queue is empty" in web.get("/staff/moderation").content.decode()
    entry = AuditEntry.objects.get(action="remove_post")
    assert web.post(f"/staff/moderation/audit/{entry.pk}/undo", {"reason": "mistake"}).status_code == 302
    status.refresh_from_db()
    assert status.moderation == ""
    assert web.get(f"/staff/moderation/accounts/{spammer.pk}").status_code == 200
    assert web.get("/staff/trust").status_code == 200


# --- The admin API ---------------------------------------------------------------------------


def test_staff_clear_the_queue_through_the_admin_api(staff, member, spammer):
    pitch = post_status(spammer, "buy cheap pills at spam.example now")
    moderation.report(member, spammer, status_ids=[pitch.pk], comment="bot", category="spam", now=NOW)
    api = Api(token_for(staff, ADMIN))
    reports = api.get("/api/v1/admin/reports").json()
    for entity in reports:
        assert_entity("AdminReport", entity)
    assert_entity("AdminAccount", api.get(f"/api/v1/admin/accounts/{spammer.pk}").json())
    assert [r["target_account"]["username"] for r in reports] == ["spammy"]
    report_id = reports[0]["id"]
    assert api.get(f"/api/v1/admin/reports/{report_id}").json()["account"]["username"] == "mary"
    assert (
        api.post(f"/api/v1/admin/reports/{report_id}/assign_to_self").json()["assigned_account"]["username"]
        == "sam"
    )
    response = api.post(
        f"/api/v1/admin/accounts/{spammer.pk}/action",
        {"type": "suspend", "report_id": report_id, "text": "bot"},
    )
    assert response.status_code == 200
    assert api.get(f"/api/v1/admin/accounts/{spammer.pk}").json()["suspended"] is True
    assert api.get("/api/v1/admin/reports").json() == []
    assert api.post(f"/api/v1/admin/reports/{report_id}/reopen").json()["action_taken"] is False
    assert api.post(f"/api/v1/admin/reports/{report_id}/resolve").json()["action_taken"] is True
    assert api.post(f"/api/v1/admin/accounts/{spammer.pk}/unsuspend").json()["suspended"] is False
    assert api.post(f"/api/v1/admin/accounts/{spammer.pk}/action", {"type": "explode"}).status_code == 422
    assert api.get("/api/v1/admin/accounts/99999999999999999999").status_code == 422
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"assign", "suspend", "resolve", "reopen", "unsuspend"} <= actions


def test_an_admin_endpoint_needs_the_admin_scope(staff):
    assert Api(token_for(staff, "read write")).get("/api/v1/admin/reports").status_code == 403
    assert Api(token_for(staff, "admin:read")).get("/api/v1/admin/reports").status_code == 200
    assert Api(token_for(staff, "admin:read")).post("/api/v1/admin/reports/1/resolve").status_code == 403
    assert Api(None).get("/api/v1/admin/accounts").status_code == 401
