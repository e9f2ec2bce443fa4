from django.urls import path

from obole.economics import views

urlpatterns = [
    path("staff/economics", views.economics, name="staff-economics"),
]
