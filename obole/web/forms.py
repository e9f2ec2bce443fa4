from django import forms
from django.conf import settings

from obole.accounts.validators import USERNAME_MAX_LENGTH


class SignUpForm(forms.Form):
    """Email is asked for always, and required when confirmation is switched on."""

    username = forms.CharField(
        max_length=USERNAME_MAX_LENGTH,
        help_text="Letters, digits and underscores; up to 30 characters.",
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    email = forms.EmailField(required=False, widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password = forms.CharField(
        strip=False,
        help_text="At least 8 characters, not a common password.",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].required = settings.OBOLE_EMAIL_CONFIRMATION


class CardForm(forms.Form):
    """The sandbox card form. The values go to the provider and are never kept."""

    card_number = forms.CharField(
        label="Card number",
        max_length=40,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "cc-number",
                "inputmode": "numeric",
                "placeholder": "4242 4242 4242 4242",
            }
        ),
    )
    exp_month = forms.IntegerField(
        label="Expiry month",
        min_value=1,
        max_value=12,
        widget=forms.NumberInput(attrs={"autocomplete": "cc-exp-month", "placeholder": "MM"}),
    )
    exp_year = forms.IntegerField(
        label="Expiry year",
        min_value=0,
        max_value=9999,
        widget=forms.NumberInput(attrs={"autocomplete": "cc-exp-year", "placeholder": "YYYY"}),
    )
    cvc = forms.CharField(
        label="CVC",
        max_length=4,
        widget=forms.TextInput(
            attrs={"autocomplete": "cc-csc", "inputmode": "numeric", "placeholder": "123"}
        ),
    )


class StripeCardForm(forms.Form):
    """The Stripe card form: Stripe.js fills in the PaymentMethod id; the card never comes here."""

    payment_method = forms.RegexField(regex=r"^pm_[A-Za-z0-9_]+$", max_length=255, widget=forms.HiddenInput)
