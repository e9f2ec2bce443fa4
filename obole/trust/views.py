"""Pages: a member reports an account or post; staff work the moderation queue.

Every staff page is behind `staff_only`, which answers 404 to anyone who is not
a signed-in staff account (the pages' existence is nobody else's business).
Staff pages live under /staff/moderation and /staff/trust.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from obole.accounts.models import Account
from obole.lib.errors import UserError
from obole.posts.access import get_status_for_viewer
from obole.posts.models import Status
from obole.trust import moderation, stats
from obole.trust.models import AuditEntry, Report, Standing

CATEGORIES = (
    ("spam", "Spam"),
    ("violation", "Breaks the rules (hate, harassment…)"),
    ("legal", "Illegal"),
    ("other", "Something else"),
)


def staff_only(view: Callable) -> Callable:
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not (request.user.is_authenticated and request.user.is_staff):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


# --- Members report --------------------------------------------------------------


@login_required
def new_report(request: HttpRequest) -> HttpResponse:
    target = Account.objects.filter(username__iexact=request.GET.get("account", ""), is_active=True).first()
    if target is None:
        raise Http404
    status = None
    if request.GET.get("status"):
        try:
            status = get_status_for_viewer(request.user, request.GET["status"])
        except UserError:
            raise Http404 from None
    problem = None
    if request.method == "POST":
        category = request.POST.get("category", "other")
        if category not in dict(CATEGORIES):
            category = "other"
        try:
            moderation.report(
                request.user,
                target,
                status_ids=[status.pk] if status else [],
                comment=request.POST.get("comment", "")[:1000],
                category=category,
                now=timezone.now(),
            )
        except UserError as error:
            problem = error.message
        else:
            messages.success(
                request, f"Thank you. Your report about @{target.username} was sent to the moderators."
            )
            return redirect("profile", target.username)
    context = {"target": target, "status": status, "categories": CATEGORIES, "problem": problem}
    return render(request, "trust/report_new.html", context, status=429 if problem else 200)


# --- The queue ------------------------------------------------------------------


@staff_only
def queue(request: HttpRequest) -> HttpResponse:
    items = list(moderation.open_queue()[:200])
    scores = dict(Standing.objects.filter(pk__in=[i.target_id for i in items]).values_list("pk", "score"))
    for item in items:
        item.score = scores.get(item.target_id, 0)
    return render(request, "trust/queue.html", {"items": items})


def _evidence(account: Account) -> dict:
    return {
        "standing": Standing.objects.filter(pk=account.pk).first(),
        "related": moderation.related_accounts(account),
        "held": list(moderation.held_posts(account).order_by("-id")[:20]),
        "audit": list(
            AuditEntry.objects.filter(target_account=account).select_related("actor").order_by("-id")[:30]
        ),
        "open_items": list(Report.objects.filter(target=account, resolved_at=None).order_by("id")),
    }


def _act(request: HttpRequest, target: Account, item: Report | None) -> str | None:
    """Apply the posted action; return a problem to show, or None."""
    action, _, status_id = request.POST.get("action", "").partition(":")
    reason = request.POST.get("reason", "")
    now = timezone.now()
    staff = request.user
    try:
        if action in ("remove_post", "hold_post", "restore_post"):
            status = Status.objects.filter(pk=int(status_id or 0), account=target).first()
            if status is None:
                return "That post is not the account's."
            getattr(moderation, action)(staff, status, reason, now=now, report=item)
        elif action in moderation.ACCOUNT_FUNCTIONS:
            if target.is_staff:
                return "Staff accounts cannot be acted on here."
            moderation.ACCOUNT_FUNCTIONS[action](staff, target, reason, now=now, report=item)
        elif action == "resolve" and item is not None:
            pass
        else:
            return "Choose an action."
        if item is not None and item.resolved_at is None and request.POST.get("resolve", "on") == "on":
            moderation.resolve(staff, item, reason, now=now)
    except (UserError, ValueError) as error:
        return getattr(error, "message", str(error))
    return None


@staff_only
def report_detail(request: HttpRequest, report_id: int) -> HttpResponse:
    item = Report.objects.select_related("target", "reporter", "resolved_by").filter(pk=report_id).first()
    if item is None:
        raise Http404
    problem = None
    if request.method == "POST":
        problem = _act(request, item.target, item)
        if problem is None:
            messages.success(request, "Done; it is in the audit log.")
            following = moderation.open_queue().filter(pk__gt=item.pk).first()
            return redirect("staff-report", following.pk) if following else redirect("staff-queue")
    statuses = list(Status.objects.filter(pk__in=item.status_ids).order_by("id"))
    context = {"item": item, "statuses": statuses, "problem": problem, **_evidence(item.target)}
    return render(request, "trust/report.html", context, status=422 if problem else 200)


@staff_only
def account_detail(request: HttpRequest, account_id: int) -> HttpResponse:
    target = Account.objects.select_related("membership").filter(pk=account_id).first()
    if target is None:
        raise Http404
    problem = None
    if request.method == "POST":
        problem = _act(request, target, None)
        if problem is None:
            messages.success(request, "Done; it is in the audit log.")
            return redirect("staff-account", target.pk)
    recent = list(Status.objects.filter(account=target).order_by("-id")[:20])
    context = {"target": target, "recent": recent, "problem": problem, **_evidence(target)}
    return render(request, "trust/account.html", context, status=422 if problem else 200)


@staff_only
def audit(request: HttpRequest) -> HttpResponse:
    entries = list(AuditEntry.objects.select_related("actor", "target_account").order_by("-id")[:200])
    return render(request, "trust/audit.html", {"entries": entries, "undoable": moderation.UNDO})


@staff_only
def undo(request: HttpRequest, entry_id: int) -> HttpResponse:
    if request.method != "POST":
        return redirect("staff-audit")
    entry = AuditEntry.objects.select_related("target_account", "report").filter(pk=entry_id).first()
    if entry is None:
        raise Http404
    try:
        moderation.undo(request.user, entry, request.POST.get("reason", ""), now=timezone.now())
    except UserError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Undone: {entry.action}.")
    return redirect("staff-audit")


@staff_only
def dashboard(request: HttpRequest) -> HttpResponse:
    since = timezone.now().date() - timezone.timedelta(days=13)
    report = stats.collect(since)
    return render(request, "trust/dashboard.html", {"report": report, "chart": stats.svg_chart(report)})
