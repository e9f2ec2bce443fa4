from django.urls import path

from obole.economics import views

urlpatterns = [
    path("staff/economics", views.economics, name="staff-economics"),
    path("staff/economics/charts/<slug:name>.png", views.chart, name="staff-economics-chart"),
]
