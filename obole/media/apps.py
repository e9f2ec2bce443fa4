from django.apps import AppConfig


class MediaConfig(AppConfig):
    name = "obole.media"
    label = "media"
    verbose_name = "Media attachments"
