"""Row versions (obole.lib.row_versions): the database gives a status or an account a version it
never gave the row before on every update, whoever makes it; the home page's render cache keys
by them, so a change — even one rolled back after the page was read — is never answered from a
stale entry."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.db.models import F

from obole.accounts import graph
from obole.accounts.models import Account
from obole.lib import row_versions
from obole.posts import edits, rendering, services
from obole.posts.models import Status
from obole.posts.timelines import store
from tests.conftest import NOW, make_account

pytestmark = pytest.mark.django_db


def version(model: type, pk: int) -> int:
    return model.objects.values_list("version", flat=True).get(pk=pk)


def test_every_kind_of_update_gives_a_new_version(member):
    status = services.post_status(member, "Hello", now=NOW)
    assert version(Status, status.pk) == 0
    seen = {0}
    changes = [
        lambda: Status.objects.filter(pk=status.pk).update(favourites_count=F("favourites_count") + 1),
        lambda: edits.edit_status(member, status.pk, "Hello again"),
        lambda: Status.objects.get(pk=status.pk).save(),
        lambda: Status.objects.filter(pk=status.pk).update(content=F("content")),  # same value: still new
    ]
    with connection.cursor() as cursor:
        changes.append(lambda: cursor.execute(f"UPDATE {Status._meta.db_table} SET sensitive = %s", [True]))
        for change in changes:
            change()
            now = version(Status, status.pk)
            assert now not in seen
            seen.add(now)

    before = version(Account, member.pk)
    Account.objects.filter(pk=member.pk).update(display_name="Mary")
    assert version(Account, member.pk) != before


def test_saving_a_stale_instance_does_not_write_its_old_version_back(member):
    status = services.post_status(member, "Hello", now=NOW)
    stale = Status.objects.get(pk=status.pk)
    Status.objects.filter(pk=status.pk).update(replies_count=3)
    counted = version(Status, status.pk)
    stale.content = "<p>changed</p>"
    stale.save()
    assert version(Status, status.pk) not in {stale.version, counted}


def test_a_rolled_back_version_is_never_handed_out_again(member):
    status = services.post_status(member, "Hello", now=NOW)
    with pytest.raises(RuntimeError), transaction.atomic():
        Status.objects.filter(pk=status.pk).update(content="<p>rolled back</p>")
        lost = version(Status, status.pk)
        raise RuntimeError
    assert version(Status, status.pk) == 0
    Status.objects.filter(pk=status.pk).update(content="<p>kept</p>")
    assert version(Status, status.pk) not in {0, lost}


def test_a_page_read_inside_a_rolled_back_edit_is_not_served_after_it(member):
    """The home page renders a change read inside a transaction that is then rolled back; the
    next committed change must be read afresh, not answered with the rolled-back text."""
    reader = make_account("paul", paid=True)
    graph.follow(reader, member, now=NOW)
    status = services.post_status(member, "First words", now=NOW)
    ids = store().page(reader.pk)
    with pytest.raises(RuntimeError), transaction.atomic():
        edits.edit_status(member, status.pk, "Never said")
        assert "Never said" in rendering.home_page(reader, ids)[0]["content"]
        raise RuntimeError
    assert "First words" in rendering.home_page(reader, ids)[0]["content"]
    edits.edit_status(member, status.pk, "Second thoughts")
    assert "Second thoughts" in rendering.home_page(reader, ids)[0]["content"]


def test_the_triggers_are_made_again_harmlessly(member):
    """post_migrate makes them after every migrate; making them twice changes nothing."""
    row_versions.install()
    row_versions.install()
    status = services.post_status(member, "Hello", now=NOW)
    Status.objects.filter(pk=status.pk).update(favourites_count=1)
    assert version(Status, status.pk) != 0
