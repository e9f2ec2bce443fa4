from django.apps import AppConfig
from django.db.models.signals import post_migrate


class PostsConfig(AppConfig):
    name = "obole.posts"
    label = "posts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from obole.lib import row_versions

        # After the migrations of every app (this one needs accounts' table too).
        post_migrate.connect(row_versions.install, sender=self, dispatch_uid="obole.row_versions")
