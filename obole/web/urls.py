from django.contrib.auth import views as auth_views
from django.urls import path

from obole.web import settings_views, views

urlpatterns = [
    path("", views.landing, name="landing"),
    path("auth/sign_up", views.sign_up, name="sign-up"),
    path("auth/sign_in", views.SignInView.as_view(), name="login"),
    path("auth/sign_out", auth_views.LogoutView.as_view(), name="logout"),
    path("auth/confirm/<str:token>", views.confirm_email, name="confirm-email"),
    path("auth/confirm_again", views.resend_confirmation, name="confirm-again"),
    path("membership", views.membership, name="membership"),
    path("membership/cancel", views.cancel, name="membership-cancel"),
    path("membership/resume", views.resume, name="membership-resume"),
    path("settings", settings_views.index, name="settings"),
    path("settings/profile", settings_views.profile, name="settings-profile"),
    path("settings/password", settings_views.password, name="settings-password"),
    path("settings/membership", settings_views.membership, name="settings-membership"),
    path("settings/export", settings_views.export_data, name="settings-export"),
    path("settings/delete", settings_views.delete_account, name="settings-delete"),
    path("auth/goodbye", settings_views.goodbye, name="account-deleted"),
]
