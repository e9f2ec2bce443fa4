"""Voting in a poll from a post's card: a plain form, no JavaScript needed.

The rules are obole.posts.polls.vote's (paid membership, one vote, not one's
own poll, not after it ended); a refusal comes back as a message on the page.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from obole.posts import polls
from obole.web.social import back, page, refusal, refused


@login_required
@require_POST
@page
def vote(request: HttpRequest, poll_id: str) -> HttpResponse:
    reason = refusal(request.user)
    if reason is not None:
        return refused(request, reason)
    polls.vote(request.user, poll_id, request.POST.getlist("choices"))
    messages.success(request, "Your vote is counted.")
    return redirect(back(request))
