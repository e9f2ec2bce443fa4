from django.apps import AppConfig


class MembershipConfig(AppConfig):
    name = "obole.membership"
    label = "membership"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Parse the per-country price list now, so a malformed one stops start-up.
        from obole.membership.plans import plan_for

        plan_for()
