"""Pages: landing, sign-up, sign-in, email confirmation, membership (the social pages: social.py)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_POST

from obole.accounts import confirmation, login_limits
from obole.accounts.models import Account
from obole.accounts.services import client_ip, create_account
from obole.membership import services
from obole.membership.errors import AuthenticationRequired, MembershipError
from obole.membership.models import Membership
from obole.membership.permissions import write_refusal
from obole.membership.providers import get_provider
from obole.posts.models import Status
from obole.web.csp import may_redirect_to_apps
from obole.web.forms import CardForm, SignUpForm, StripeCardForm
from obole.web.payment_views import stripe_page_settings, waiting_invoice


def landing(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home")
    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    context = {
        "members": Membership.objects.filter(state="active").count(),
        "posts_today": Status.objects.filter(created_at__gte=today, reblog_of__isnull=True).count(),
    }
    return render(request, "web/landing.html", context)


@sensitive_post_parameters("password")
def sign_up(request: HttpRequest) -> HttpResponse:
    if not settings.OBOLE_REGISTRATION_OPEN:
        return render(request, "web/closed.html", status=403)
    form = SignUpForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            account = create_account(data["username"], data["password"], data["email"], ip=client_ip(request))
        except ValidationError as exc:
            if exc.error_dict.get("__all__", [None])[0] and exc.error_dict["__all__"][0].code == "throttled":
                status = 429
            for field, errors in exc.message_dict.items():
                for message in errors:
                    form.add_error(field if field in form.fields else None, message)
        else:
            login(request, account, backend="obole.accounts.backends.UsernameOrEmailBackend")
            if settings.OBOLE_EMAIL_CONFIRMATION:
                _send_confirmation(request, account)
            return redirect("membership")
    return render(request, "web/sign_up.html", {"form": form}, status=status)


class SignInForm(AuthenticationForm):
    """Django's sign-in form within the failed sign-in limits (obole.accounts.login_limits)."""

    throttled = False

    def clean(self) -> dict:
        username = self.cleaned_data.get("username") or ""
        ip = client_ip(self.request)
        count = login_limits.refusal(ip, username)
        if count is not None:
            self.throttled = True
            raise ValidationError(login_limits.message(count), code="throttled")
        try:
            return super().clean()
        except ValidationError as error:
            if error.code == "invalid_login":
                login_limits.record_failure(ip, username)
            raise


@may_redirect_to_apps
class SignInView(auth_views.LoginView):
    form_class = SignInForm

    def form_invalid(self, form: SignInForm) -> HttpResponse:
        response = super().form_invalid(form)
        if form.throttled:
            response.status_code = 429
        return response

    def get_default_redirect_url(self) -> str:
        """A member who may write goes to their home timeline; one who may not yet (unpaid, lapsed) to
        the membership page, unless the form was asked for with `next`."""
        if self.next_page:
            return resolve_url(self.next_page)
        try:
            writes = write_refusal(self.request.user) is None
        except ObjectDoesNotExist:  # an account made outside sign-up (createsuperuser) has no membership
            writes = False
        return reverse("home" if writes else "membership")


def _send_confirmation(request: HttpRequest, account: Account) -> None:
    link = request.build_absolute_uri(reverse("confirm-email", args=[confirmation.make_token(account)]))
    confirmation.send_confirmation(account, link)


def confirm_email(request: HttpRequest, token: str) -> HttpResponse:
    account = confirmation.account_for_token(token)
    if account is None:
        return render(request, "web/confirm_failed.html", status=400)
    if account.email_confirmed_at is None:
        account.email_confirmed_at = timezone.now()
        account.save(update_fields=["email_confirmed_at"])
    messages.success(request, "Thank you — your email address is confirmed.")
    return redirect("membership")


@login_required
@require_POST
def resend_confirmation(request: HttpRequest) -> HttpResponse:
    if request.user.email_confirmed_at is None and request.user.email:
        _send_confirmation(request, request.user)
        messages.success(request, f"We sent a new confirmation link to {request.user.email}.")
    return redirect("membership")


@login_required
@sensitive_post_parameters("card_number", "cvc")
@sensitive_variables("form", "source")
def membership(request: HttpRequest) -> HttpResponse:
    stripe = get_provider().name == "stripe"
    form = (StripeCardForm if stripe else CardForm)(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            source = get_provider().attach_schema.model_validate(form.cleaned_data)
            try:
                services.pay(request.user, source, now=timezone.now(), ip=client_ip(request))
            except AuthenticationRequired as exc:
                return redirect(exc.url)
            except MembershipError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
                status = exc.status
            else:
                messages.success(request, "Thank you — your membership is active.")
                return redirect("home")
        else:
            status = 422
        # Never send the card number or CVC back to the browser (nor a used PaymentMethod id).
        form.data = form.data.copy()
        for name in ("card_number", "cvc", "payment_method"):
            form.data[name] = ""
    current = Membership.objects.select_related("account", "payment_method").get(pk=request.user.pk)
    context = {
        "membership": current,
        "refusal": write_refusal(request.user),
        "form": form,
        "ledger": request.user.ledger_entries.order_by("-id")[:24],
        "grace_ends": services.grace_ends(current),
        "email_unconfirmed": settings.OBOLE_EMAIL_CONFIRMATION and request.user.email_confirmed_at is None,
        "section": "membership",  # the settings tab list shows this page as one of the settings
        "stripe": stripe_page_settings() if stripe else None,
        "waiting": waiting_invoice(request.user),
    }
    return render(request, "web/membership.html", context, status=status)


@login_required
@require_POST
def cancel(request: HttpRequest) -> HttpResponse:
    return _change(
        request, services.cancel, "Your membership is canceled; you keep posting until the period ends."
    )


@login_required
@require_POST
def resume(request: HttpRequest) -> HttpResponse:
    return _change(request, services.resume, "Welcome back — your membership renews as before.")


def _change(request: HttpRequest, action, success: str) -> HttpResponse:
    try:
        action(request.user, now=timezone.now())
        messages.success(request, success)
    except MembershipError as exc:
        messages.error(request, exc.message)
    return redirect("membership")


# --- errors: JSON under /api/, pages elsewhere ---------------------------------


def _error(request: HttpRequest, status: int, message: str) -> HttpResponse:
    if request.path.startswith(("/api/", "/oauth/")):
        return JsonResponse({"error": message}, status=status)
    return render(request, "web/error.html", {"status": status, "message": message}, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 400, "The request could not be understood (it may be too large).")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 403, "You are not allowed to do that.")


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 404, "Record not found")


def server_error(request: HttpRequest) -> HttpResponse:
    return _error(request, 500, "Something went wrong on our side; it has been logged.")
