from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "obole.api"
    label = "api"
