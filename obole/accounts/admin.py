from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from obole.accounts.models import Account


@admin.register(Account)
class AccountAdmin(UserAdmin):
    list_display = ("username", "email", "date_joined", "is_staff")
    search_fields = ("username", "email")
    fieldsets = (
        *UserAdmin.fieldsets,
        ("Obole", {"fields": ("country", "email_confirmed_at")}),
    )
