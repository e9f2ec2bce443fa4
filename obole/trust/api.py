"""Mastodon's report endpoint and admin (moderation) API, so existing moderation apps work.

- `POST /api/v1/reports` (scope write:reports; any signed-in account, paid or not;
  OBOLE_REPORTS_PER_HOUR per reporter).
- `/api/v1/admin/reports[/:id[/assign_to_self|unassign|resolve|reopen]]` and
  `/api/v1/admin/accounts[/:id[/action|unsuspend|unsilence|enable]]`, with the
  `admin:read` / `admin:write` scopes and only for staff accounts: everyone else
  gets 403, as Mastodon answers a token without the admin role.

Mastodon's account actions map onto Obole's (obole.trust.moderation):
`none` resolves the report only; `sensitive` and `silence` hold the account's new
posts for review; `suspend` makes the account read-only; `disable` bans it (the
membership ends and its cards are blocklisted). Every action is audited with the
`text` given, or a note that it came through the API.
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.utils import timezone

from obole.accounts.models import Account
from obole.api import entities
from obole.api.endpoints import ApiError, array_param, endpoint
from obole.lib.errors import NotFound
from obole.posts.models import Status
from obole.trust import moderation
from obole.trust.models import Report, Standing

CATEGORIES = ("spam", "legal", "violation", "other")


def _id(value: object, what: str = "id") -> int:
    text = str(value or "")
    if not text.isascii() or not text.isdigit() or len(text) > 19:
        raise ApiError(422, f"{what} must be a numeric id")
    number = int(text)
    if number >= 2**63:
        raise ApiError(422, f"{what} must be a numeric id")
    return number


def _report_entity(row: Report) -> dict:
    return {
        "id": str(row.pk),
        "action_taken": row.resolved_at is not None,
        "action_taken_at": entities.iso(row.resolved_at),
        "category": row.category if row.category in CATEGORIES else "other",
        "comment": row.comment,
        "forwarded": False,
        "created_at": entities.iso(row.created_at),
        "status_ids": [str(sid) for sid in row.status_ids] or None,
        "rule_ids": None,
        "target_account": entities.account(row.target),
    }


@endpoint(("POST",), scope="write:reports")
def create_report(request: HttpRequest) -> JsonResponse:
    target = Account.objects.filter(
        pk=_id(request.data.get("account_id"), "account_id"), is_active=True
    ).first()
    if target is None:
        raise NotFound("Record not found")
    category = str(request.data.get("category") or "other")
    if category not in CATEGORIES:
        raise ApiError(422, f"category must be one of {', '.join(CATEGORIES)}")
    comment = request.data.get("comment") or ""
    if not isinstance(comment, str) or len(comment) > 1000:
        raise ApiError(422, "comment must be text of at most 1000 characters")
    status_ids = [_id(sid, "status_ids[]") for sid in array_param(request, "status_ids")]
    row = moderation.report(
        request.account, target, status_ids=status_ids, comment=comment, category=category, now=timezone.now()
    )
    return JsonResponse(_report_entity(row))


# --- Admin ----------------------------------------------------------------------


def _staff(request: HttpRequest) -> Account:
    if not request.account.is_staff:
        raise ApiError(403, "This action is not allowed")
    return request.account


def admin_account(row: Account) -> dict:
    membership = getattr(row, "membership", None)
    standing = Standing.objects.filter(pk=row.pk).first()
    return {
        "id": str(row.pk),
        "username": row.username,
        "domain": None,
        "created_at": entities.iso(row.date_joined),
        "email": row.email,
        "ip": row.signup_ip,
        "ips": [{"ip": row.signup_ip, "used_at": entities.iso(row.date_joined)}] if row.signup_ip else [],
        # Mastodon's role objects: the staff role, or the "everyone" role every account has.
        "role": {"id": "1", "name": "Staff", "permissions": "1", "color": "", "highlighted": True}
        if row.is_staff
        else {"id": "-99", "name": "", "permissions": "65536", "color": "", "highlighted": False},
        "confirmed": row.email_confirmed_at is not None,
        "suspended": row.suspended_at is not None,
        "silenced": bool(standing and standing.holding_at),
        "sensitized": False,
        "disabled": bool(membership and membership.state == "banned") or not row.is_active,
        "approved": True,
        "locale": "en",
        "invite_request": None,
        "account": entities.account(row),
        # Obole's own: the bot score and its explanation.
        "obole_bot_score": standing.score if standing else 0,
        "obole_signals": standing.signals if standing else [],
    }


def admin_report(row: Report, viewer: Account) -> dict:
    statuses = list(
        Status.objects.filter(pk__in=row.status_ids).select_related("account", "reblog_of__account")
    )
    return {
        "id": str(row.pk),
        "action_taken": row.resolved_at is not None,
        "action_taken_at": entities.iso(row.resolved_at),
        "category": row.category if row.category in CATEGORIES else "other",
        "comment": row.comment or row.source,
        "forwarded": False,
        "created_at": entities.iso(row.created_at),
        "updated_at": entities.iso(row.resolved_at or row.created_at),
        "account": admin_account(row.reporter) if row.reporter else None,
        "target_account": admin_account(row.target),
        "assigned_account": admin_account(row.assigned_to) if row.assigned_to else None,
        "action_taken_by_account": admin_account(row.resolved_by) if row.resolved_by else None,
        # Staff see reported posts whatever their moderation state.
        "statuses": entities.statuses(statuses, viewer),
        "rules": [],
        "obole_source": row.source,
    }


def _report(report_id: str) -> Report:
    row = (
        Report.objects.select_related("reporter", "target", "assigned_to", "resolved_by")
        .filter(pk=_id(report_id))
        .first()
    )
    if row is None:
        raise NotFound("Record not found")
    return row


def _account(account_id: str) -> Account:
    row = Account.objects.select_related("membership").filter(pk=_id(account_id)).first()
    if row is None:
        raise NotFound("Record not found")
    return row


@endpoint(("GET",), scope="admin:read")
def admin_reports(request: HttpRequest) -> JsonResponse:
    staff = _staff(request)
    rows = Report.objects.select_related("reporter", "target", "assigned_to", "resolved_by").order_by("-id")
    resolved = request.GET.get("resolved")
    rows = rows.exclude(resolved_at=None) if resolved in ("true", "1") else rows.filter(resolved_at=None)
    if request.GET.get("target_account_id"):
        rows = rows.filter(target_id=_id(request.GET["target_account_id"], "target_account_id"))
    if request.GET.get("max_id"):
        rows = rows.filter(pk__lt=_id(request.GET["max_id"], "max_id"))
    limit = min(200, _id(request.GET.get("limit") or "100", "limit") or 100)
    return JsonResponse([admin_report(row, staff) for row in rows[:limit]], safe=False)


@endpoint(("GET",), scope="admin:read")
def admin_report_show(request: HttpRequest, report_id: str) -> JsonResponse:
    return JsonResponse(admin_report(_report(report_id), _staff(request)))


@endpoint(("POST",), scope="admin:write")
def admin_report_act(request: HttpRequest, report_id: str, action: str) -> JsonResponse:
    staff = _staff(request)
    row = _report(report_id)
    now = timezone.now()
    reason = str(request.data.get("text") or f"{action} through the admin API")
    if action == "assign_to_self":
        row = moderation.assign(staff, row, staff, now=now)
    elif action == "unassign":
        row = moderation.assign(staff, row, None, now=now)
    elif action == "resolve":
        row = moderation.resolve(staff, row, reason, now=now)
    else:
        row = moderation.reopen(staff, row, reason, now=now)
    return JsonResponse(admin_report(_report(str(row.pk)), staff))


@endpoint(("GET",), scope="admin:read")
def admin_accounts(request: HttpRequest) -> JsonResponse:
    _staff(request)
    rows = Account.objects.select_related("membership").order_by("-pk")
    if request.GET.get("username"):
        rows = rows.filter(username__icontains=request.GET["username"][:30])
    if request.GET.get("suspended") in ("true", "1"):
        rows = rows.exclude(suspended_at=None)
    if request.GET.get("staff") in ("true", "1"):
        rows = rows.filter(is_staff=True)
    if request.GET.get("max_id"):
        rows = rows.filter(pk__lt=_id(request.GET["max_id"], "max_id"))
    limit = min(200, _id(request.GET.get("limit") or "100", "limit") or 100)
    return JsonResponse([admin_account(row) for row in rows[:limit]], safe=False)


@endpoint(("GET",), scope="admin:read")
def admin_account_show(request: HttpRequest, account_id: str) -> JsonResponse:
    _staff(request)
    return JsonResponse(admin_account(_account(account_id)))


ACTIONS = {
    "sensitive": "hold_account",
    "silence": "hold_account",
    "suspend": "suspend",
    "disable": "ban",
}
UNDOS = {
    "unsuspend": "unsuspend",
    "unsilence": "release_account",
    "unsensitive": "release_account",
    "enable": "unban",
}


@endpoint(("POST",), scope="admin:write")
def admin_account_action(request: HttpRequest, account_id: str) -> JsonResponse:
    staff = _staff(request)
    target = _account(account_id)
    kind = str(request.data.get("type") or "none")
    if kind != "none" and kind not in ACTIONS:
        raise ApiError(422, f"type must be one of none, {', '.join(ACTIONS)}")
    report = None
    if request.data.get("report_id"):
        report = _report(str(request.data["report_id"]))
    reason = str(request.data.get("text") or f"{kind} through the admin API")[:1000]
    now = timezone.now()
    if kind != "none":
        if target.is_staff:
            raise ApiError(403, "Staff accounts cannot be acted on through the API.")
        moderation.ACCOUNT_FUNCTIONS[ACTIONS[kind]](staff, target, reason, now=now, report=report)
    if report is not None and report.resolved_at is None:
        moderation.resolve(staff, report, reason, now=now)
    return JsonResponse({})


@endpoint(("POST",), scope="admin:write")
def admin_account_undo(request: HttpRequest, account_id: str, action: str) -> JsonResponse:
    staff = _staff(request)
    target = _account(account_id)
    reason = str(request.data.get("text") or f"{action} through the admin API")[:1000]
    moderation.ACCOUNT_FUNCTIONS[UNDOS[action]](staff, target, reason, now=timezone.now())
    return JsonResponse(admin_account(_account(account_id)))
