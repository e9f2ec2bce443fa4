from django.urls import path

from obole.trust import views

urlpatterns = [
    path("reports/new", views.new_report, name="report-new"),
    path("staff/moderation", views.queue, name="staff-queue"),
    path("staff/moderation/reports/<int:report_id>", views.report_detail, name="staff-report"),
    path("staff/moderation/accounts/<int:account_id>", views.account_detail, name="staff-account"),
    path("staff/moderation/audit", views.audit, name="staff-audit"),
    path("staff/moderation/audit/<int:entry_id>/undo", views.undo, name="staff-undo"),
    path("staff/trust", views.dashboard, name="staff-trust"),
]
