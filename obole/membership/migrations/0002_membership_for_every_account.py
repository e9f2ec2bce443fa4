"""Accounts made before Account.save gave every new account its membership (e.g. with
`createsuperuser`) get their unpaid one now, so no code has to make one up when it reads."""

from django.db import migrations


def add_missing(apps, schema_editor):
    Account = apps.get_model("accounts", "Account")
    Membership = apps.get_model("membership", "Membership")
    missing = Account.objects.filter(membership__isnull=True).values_list("pk", flat=True)
    Membership.objects.bulk_create([Membership(account_id=pk) for pk in missing.iterator()], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("membership", "0001_initial"),
        ("accounts", "0002_profile_and_graph"),
    ]

    operations = [migrations.RunPython(add_missing, migrations.RunPython.noop)]
