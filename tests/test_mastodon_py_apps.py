"""What members' apps expect beyond text, driven by the Mastodon.py library against a live server:
pictures (a PNG and a JPEG made here with Pillow, and a JPEG whose location must not be served)."""

from __future__ import annotations

import io
import urllib.request

import pytest
from mastodon import Mastodon, MastodonAPIError
from PIL import Image

from tests import pictures
from tests.live import serve
from tests.schema import assert_entity
from tests.test_mastodon_py import SCOPES, pay, raw, sign_up

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with serve(tmp_path_factory.mktemp("obole-mastodon-py-apps"), "mastodonpyapps") as (base, _):
        yield base


@pytest.fixture(scope="module")
def app(server):
    return Mastodon.create_app("Obole app tests", scopes=SCOPES, api_base_url=server)


@pytest.fixture(scope="module")
def alice(server, app):
    member = sign_up(server, app, "alice")
    pay(server, member, "4242424242424242")
    return member


@pytest.fixture(scope="module")
def bob(server, app):
    member = sign_up(server, app, "bob")
    pay(server, member, "5555555555554444")
    return member


def fetch(url: str):
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.headers, response.read()


def test_an_app_posts_a_png_and_a_jpeg_with_alt_text(server, alice, bob):
    png = alice.media_post(
        io.BytesIO(pictures.png(300, 200)), mime_type="image/png", description="A pink card"
    )
    jpeg = alice.media_post(
        io.BytesIO(pictures.jpeg(320, 180)),
        mime_type="image/jpeg",
        description="A blue sky",
        focus=(0.0, 0.5),
    )
    assert png.type == jpeg.type == "image"
    assert png.meta.original.width == 300 and jpeg.meta.original.aspect == pytest.approx(320 / 180)
    assert jpeg.meta.focus.y == 0.5
    posted = alice.status_post("Two pictures", media_ids=[png, jpeg])
    assert [m.description for m in posted.media_attachments] == ["A pink card", "A blue sky"]
    status, entity = raw(server, alice, f"/api/v1/statuses/{posted.id}")
    assert_entity("Status", entity)

    seen = bob.status(posted.id)
    for attachment, kind in zip(seen.media_attachments, ("PNG", "JPEG"), strict=True):
        headers, data = fetch(attachment.url)
        assert Image.open(io.BytesIO(data)).format == kind
        assert headers["Content-Type"] == f"image/{kind.lower()}"
        assert "immutable" in headers["Cache-Control"] and headers["X-Content-Type-Options"] == "nosniff"
        assert fetch(attachment.preview_url)[0]["Content-Type"].startswith("image/")


def test_a_photo_with_a_location_is_served_without_it(alice):
    original = pictures.jpeg_with_location()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)
    media = alice.media_post(io.BytesIO(original), mime_type="image/jpeg", description="Holiday")
    alice.status_post("Guess where", media_ids=[media])
    _, data = fetch(media.url)
    assert len(Image.open(io.BytesIO(data)).getexif()) == 0
    assert b"Exif" not in data and b"Obole Test Camera" not in data


def test_an_app_cannot_upload_a_file_that_is_not_a_picture(alice):
    with pytest.raises(MastodonAPIError) as refused:
        alice.media_post(io.BytesIO(pictures.html_pretending_to_be_png()), mime_type="image/png")
    assert "422" in str(refused.value)


def test_an_app_fixes_a_typo_and_reads_the_history(server, alice, bob):
    posted = alice.status_post("Helo from the #app")
    bob.status_reblog(posted.id)
    edited = alice.status_update(posted.id, "Hello from the #app")
    assert edited.edited_at is not None and "Hello" in edited.content
    assert alice.status_source(posted.id).text == "Hello from the #app"
    history = alice.status_history(posted.id)
    assert ["Helo" in version.content for version in history] == [True, False]
    status, versions = raw(server, alice, f"/api/v1/statuses/{posted.id}/history")
    for version in versions:
        assert_entity("StatusEdit", version)
    assert [n.type for n in bob.notifications(types=["update"])] == ["update"]
    with pytest.raises(MastodonAPIError):
        bob.status_update(posted.id, "Not mine to change")


def test_one_member_runs_a_poll_and_another_votes_in_it(server, alice, bob):
    poll = alice.make_poll(["Tea", "Coffee"], expires_in=600)
    posted = alice.status_post("Tea or coffee?", poll=poll)
    assert [o.title for o in posted.poll.options] == ["Tea", "Coffee"]
    status, entity = raw(server, alice, f"/api/v1/statuses/{posted.id}")
    assert_entity("Status", entity)
    voted = bob.poll_vote(posted.poll.id, [1])
    assert voted.voted and voted.own_votes == [1]
    assert [o.votes_count for o in alice.poll(posted.poll.id).options] == [0, 1]
    with pytest.raises(MastodonAPIError) as again:
        bob.poll_vote(posted.poll.id, [0])
    assert "already voted" in str(again.value)
