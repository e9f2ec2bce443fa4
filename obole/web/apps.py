from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "obole.web"
    label = "web"
