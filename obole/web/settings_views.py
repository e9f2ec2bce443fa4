"""The settings pages: profile, password, membership (the /membership page), export, delete.

Every page acts on the signed-in account only: there is no account id in any
of these URLs, so no one — staff included — can see or change another
member's settings here. None of them needs a paid membership (docs/architecture.md rule 2:
managing the account, billing and exporting data stay open to unpaid members).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from obole.accounts import deletion, export, login_limits
from obole.accounts.models import DISPLAY_NAME_MAX_LENGTH, NOTE_MAX_LENGTH, Account
from obole.accounts.services import client_ip
from obole.lib.errors import UserError
from obole.membership.permissions import profile_text_refusal
from obole.posts.models import Visibility

VISIBILITY_CHOICES = [
    (Visibility.PUBLIC, "Public — anyone can see them, and they appear in public timelines"),
    (Visibility.UNLISTED, "Unlisted — anyone can see them, but they stay out of public timelines"),
    (Visibility.PRIVATE, "Followers only"),
    (Visibility.DIRECT, "Mentioned people only"),
]


class ProfileForm(forms.ModelForm):
    display_name = forms.CharField(
        label="Display name",
        max_length=DISPLAY_NAME_MAX_LENGTH,
        required=False,
        help_text=f"Shown above your @username; up to {DISPLAY_NAME_MAX_LENGTH} characters.",
    )
    note = forms.CharField(
        label="Bio",
        max_length=NOTE_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=f"A few words about you; up to {NOTE_MAX_LENGTH} characters. Links and #hashtags work.",
    )
    bot = forms.BooleanField(
        label="This is an automated account",
        required=False,
        help_text="Says on your profile that a program posts here, not a person.",
    )
    default_visibility = forms.ChoiceField(
        label="Who sees your new posts by default",
        choices=VISIBILITY_CHOICES,
        widget=forms.RadioSelect,
        help_text="You can still choose for each post.",
    )

    class Meta:
        model = Account
        fields = ["display_name", "note", "bot", "default_visibility"]

    def clean_display_name(self) -> str:
        return self.cleaned_data["display_name"].strip()

    def clean_note(self) -> str:
        return self.cleaned_data["note"].strip()


def check_password(request: HttpRequest, account: Account, password: str, message: str) -> None:
    """Raise a ValidationError unless `password` is the account's, within the failed sign-in limits.

    A session left open in a shared browser must not become a way to guess the
    password, so wrong guesses here count like failed sign-ins.
    """
    ip = client_ip(request)
    count = login_limits.refusal(ip, account.username)
    if count is not None:
        raise forms.ValidationError(login_limits.message(count), code="throttled")
    if not account.check_password(password):
        login_limits.record_failure(ip, account.username)
        raise forms.ValidationError(message, code="wrong_password")


class PasswordForm(PasswordChangeForm):
    def __init__(self, user: Account, *args, request: HttpRequest, **kwargs):
        super().__init__(user, *args, **kwargs)
        self.request = request

    def clean_old_password(self) -> str:
        password = self.cleaned_data["old_password"]
        check_password(self.request, self.user, password, self.error_messages["password_incorrect"])
        return password


class DeleteForm(forms.Form):
    password = forms.CharField(
        label="Your current password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    username = forms.CharField(
        label="Type your username to confirm",
        max_length=64,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )

    def __init__(self, account: Account, *args, request: HttpRequest, **kwargs):
        super().__init__(*args, **kwargs)
        self.account = account
        self.request = request
        self.fields["username"].help_text = f"Type {account.username} exactly."

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        check_password(self.request, self.account, password, "That is not your current password.")
        return password

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip().lstrip("@")
        if username.lower() != self.account.username.lower():
            raise forms.ValidationError(
                f"Type your username, {self.account.username}, to confirm.", code="wrong_username"
            )
        return username


@login_required
def index(request: HttpRequest) -> HttpResponse:
    return redirect("settings-profile")


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    account = request.user
    form = ProfileForm(request.POST if request.method == "POST" else None, instance=account)
    status = 200
    if request.method == "POST":
        before = {field: getattr(account, field) for field in ("display_name", "note")}
        if form.is_valid():
            wanted = {field: form.cleaned_data.get(field, before[field]) for field in before}
            refusal = profile_text_refusal(account, before, wanted)
            if refusal is None:
                form.save()
                messages.success(request, "Your profile is saved.")
                return redirect("settings-profile")
            form.add_error(None, refusal)
            status = 402
        else:
            status = 422
    return render(request, "web/settings/profile.html", {"form": form, "section": "profile"}, status=status)


class PasswordView(auth_views.PasswordChangeView):
    """Django's password change: the old password, the new one twice, the validators; keeps this session."""

    template_name = "web/settings/password.html"
    form_class = PasswordForm
    success_url = reverse_lazy("settings-password")
    extra_context = {"section": "password"}

    def form_valid(self, form) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, "Your password is changed. Other devices will need to sign in again.")
        return response

    def get_form_kwargs(self) -> dict:
        return {**super().get_form_kwargs(), "request": self.request}

    def form_invalid(self, form) -> HttpResponse:
        response = super().form_invalid(form)
        response.status_code = _refusal_status(form)
        return response


def _refusal_status(form: forms.Form) -> int:
    codes = {error.code for errors in form.errors.as_data().values() for error in errors}
    return 429 if "throttled" in codes else 422


password = PasswordView.as_view()


@login_required
def membership(request: HttpRequest) -> HttpResponse:
    # One page for one thing: membership and billing live at /membership.
    return redirect("membership")


@login_required
@require_http_methods(["GET", "POST"])
def export_data(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return render(request, "web/settings/export.html", {"section": "export"})
    now = timezone.now()
    response = StreamingHttpResponse(
        (piece.encode() for piece in export.archive(request.user, now)),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{export.filename(request.user, now)}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
@sensitive_post_parameters("password")
def delete_account(request: HttpRequest) -> HttpResponse:
    account = request.user
    form = DeleteForm(account, request.POST if request.method == "POST" else None, request=request)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                deletion.delete_account(account, timezone.now())
            except UserError as error:
                form.add_error(None, error.message)
                status = error.status
            else:
                logout(request)
                request.session["goodbye"] = account.username
                return redirect("account-deleted")
        else:
            status = _refusal_status(form)
    context = {"form": form, "section": "delete", "membership": getattr(account, "membership", None)}
    return render(request, "web/settings/delete.html", context, status=status)


def goodbye(request: HttpRequest) -> HttpResponse:
    username = request.session.pop("goodbye", None)
    if username is None:
        return redirect("landing")
    return render(request, "web/settings/goodbye.html", {"username": username})
