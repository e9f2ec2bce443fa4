"""Media attachments through the API: upload, describe, attach, serve, refuse and clean up.

`mary` (member) pays, `nina` (newcomer) has not paid, `paul` pays too and
plays the outsider who must not touch mary's uploads.
"""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from obole.media import services
from obole.media.models import MediaAttachment
from obole.posts import services as post_services
from obole.posts.models import Status
from tests import pictures
from tests.conftest import assert_error, make_account
from tests.schema import assert_entity

pytestmark = pytest.mark.django_db

MEDIA = "/api/v2/media"


@pytest.fixture
def paul(db):
    return make_account("paul", paid=True)


def upload(api, data: bytes, name: str = "picture.png", content_type: str = "image/png", **fields):
    return api.post(MEDIA, {"file": SimpleUploadedFile(name, data, content_type), **fields}, json=False)


def served(url: str):
    """GET a URL the API gave, through the whole stack (as a browser would)."""
    path = url.split("://", 1)[1].split("/", 1)[1]
    return Client().get("/" + path)


def body_of(response) -> bytes:
    return b"".join(response.streaming_content)


def test_a_member_uploads_a_png_and_gets_a_mastodon_media_attachment(member, api_as):
    response = upload(
        api_as(member), pictures.png(120, 80), description="A pink rectangle", focus="0.5,-0.25"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert_entity("MediaAttachment", body)
    assert body["type"] == "image"
    assert body["description"] == "A pink rectangle"
    assert body["meta"]["original"] == {"width": 120, "height": 80, "size": "120x80", "aspect": 1.5}
    assert body["meta"]["focus"] == {"x": 0.5, "y": -0.25}
    assert body["blurhash"] and len(body["blurhash"]) >= 6
    assert body["url"].endswith(".png") and body["preview_url"]
    original = served(body["url"])
    assert original.status_code == 200
    assert original["Content-Type"] == "image/png"
    assert "immutable" in original["Cache-Control"] and "max-age=31536000" in original["Cache-Control"]
    assert original["X-Content-Type-Options"] == "nosniff"
    assert Image.open(io.BytesIO(body_of(original))).size == (120, 80)


def test_v1_media_answers_the_same_way(member, api_as):
    response = api_as(member).post(
        "/api/v1/media", {"file": SimpleUploadedFile("a.jpg", pictures.jpeg(), "image/jpeg")}, json=False
    )
    assert response.status_code == 200, response.content
    assert response.json()["url"].endswith(".jpg")


def test_the_served_copy_of_a_jpeg_keeps_no_exif_and_no_location(member, api_as):
    original = pictures.jpeg_with_location()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825), "the upload carries GPS"
    body = upload(api_as(member), original, "holiday.jpg", "image/jpeg").json()
    for url in (body["url"], body["preview_url"]):
        data = body_of(served(url))
        image = Image.open(io.BytesIO(data))
        assert image.format == "JPEG"
        assert len(image.getexif()) == 0
        assert b"Exif" not in data and b"Obole Test Camera" not in data


def test_the_type_is_read_from_the_content_not_the_name(member, api_as):
    body = upload(api_as(member), pictures.png(), "photo.jpg", "image/jpeg").json()
    assert body["url"].endswith(".png")
    assert served(body["url"])["Content-Type"] == "image/png"


def test_a_file_that_lies_about_its_type_is_refused(member, api_as):
    response = upload(api_as(member), pictures.html_pretending_to_be_png(), "cat.png", "image/png")
    assert_error(response, 422, "not a picture", "JPEG, PNG, GIF or WebP")
    assert not MediaAttachment.objects.exists()


def test_a_decompression_bomb_is_refused_before_it_is_decoded(member, api_as):
    response = upload(api_as(member), pictures.decompression_bomb(), "bomb.png")
    assert_error(response, 422, "too many pixels")
    assert not MediaAttachment.objects.exists()


def test_a_picture_over_the_pixel_limit_is_refused(member, api_as, settings):
    settings.OBOLE_MEDIA_MAX_PIXELS = 10_000
    assert_error(upload(api_as(member), pictures.png(200, 100)), 422, "too many pixels", "10,000")


def test_an_oversized_file_is_refused_with_413(member, api_as, settings):
    settings.OBOLE_MEDIA_MAX_BYTES = 2_000
    data = pictures.jpeg(600, 400)
    assert len(data) > 2_000
    assert_error(upload(api_as(member), data, "big.jpg", "image/jpeg"), 413, "too large", "2,000")


def test_a_body_far_over_the_limit_is_refused_before_it_is_read(member, api_as, settings):
    settings.OBOLE_MEDIA_MAX_BYTES = 2_000
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_024
    data = b"\0" * 10_000
    assert_error(upload(api_as(member), data, "big.png"), 413, "too large")


def test_an_upload_without_a_file_is_refused(member, api_as):
    assert_error(api_as(member).post(MEDIA, {"description": "nothing"}, json=False), 422, "file")


def test_an_animated_gif_stays_an_animated_gif(member, api_as):
    body = upload(api_as(member), pictures.animated_gif(), "loop.gif", "image/gif").json()
    image = Image.open(io.BytesIO(body_of(served(body["url"]))))
    assert image.format == "GIF" and image.n_frames == 3


def test_an_unpaid_account_cannot_upload(newcomer, api_as):
    response = upload(api_as(newcomer), pictures.png())
    assert_error(response, 402, "/membership")
    assert not MediaAttachment.objects.exists()


def test_uploading_needs_the_write_media_scope(member, api_as):
    assert_error(upload(api_as(member, "read"), pictures.png()), 403, "scopes")
    assert upload(api_as(member, "write:media"), pictures.png()).status_code == 200


def test_the_uploader_reads_and_describes_an_upload(member, api_as):
    api = api_as(member)
    media_id = upload(api, pictures.png()).json()["id"]
    shown = api.get(f"/api/v1/media/{media_id}")
    assert shown.status_code == 200 and shown.json()["description"] is None
    changed = api.client.put(
        f"/api/v1/media/{media_id}",
        '{"description": "Alt text", "focus": "0.1,0.2"}',
        content_type="application/json",
        headers=api.headers,
    )
    assert changed.status_code == 200, changed.content
    assert_entity("MediaAttachment", changed.json())
    assert changed.json()["description"] == "Alt text"
    assert changed.json()["meta"]["focus"] == {"x": 0.1, "y": 0.2}


def test_a_bad_focus_or_an_overlong_description_is_refused(member, api_as):
    api = api_as(member)
    assert_error(upload(api, pictures.png(), focus="2,0"), 422, "focus")
    assert_error(upload(api, pictures.png(), description="x" * 1501), 422, "description")
    assert_error(upload(api, pictures.png(), description="nul\x00byte"), 400, "NUL")


def test_an_outsider_can_neither_see_nor_edit_nor_attach_someone_elses_upload(member, paul, api_as):
    media_id = upload(api_as(member), pictures.png()).json()["id"]
    stranger = api_as(paul)
    assert_error(stranger.get(f"/api/v1/media/{media_id}"), 404, "Record not found")
    put = stranger.client.put(
        f"/api/v1/media/{media_id}", "description=mine", content_type="application/x-www-form-urlencoded",
        headers=stranger.headers,
    )  # fmt: skip
    assert_error(put, 404, "Record not found")
    attach = stranger.post("/api/v1/statuses", {"status": "stolen", "media_ids": [media_id]})
    assert_error(attach, 422, "not found among your uploads")
    assert MediaAttachment.objects.get(pk=media_id).status_id is None
    assert not Status.objects.filter(account=paul).exists()


def test_a_status_carries_up_to_four_pictures_in_order(member, api_as):
    api = api_as(member)
    ids = [upload(api, pictures.png(10 + n, 10)).json()["id"] for n in range(5)]
    assert_error(api.post("/api/v1/statuses", {"status": "five", "media_ids": ids}), 422, "at most 4")
    chosen = [ids[2], ids[0], ids[1]]
    response = api.post("/api/v1/statuses", {"status": "", "media_ids": chosen})
    assert response.status_code == 200, response.content
    body = response.json()
    assert_entity("Status", body)
    assert [item["id"] for item in body["media_attachments"]] == chosen
    assert [item["meta"]["original"]["width"] for item in body["media_attachments"]] == [12, 10, 11]
    shown = api.get(f"/api/v1/statuses/{body['id']}").json()
    assert shown["media_attachments"] == body["media_attachments"]


def test_form_clients_send_media_ids_as_an_array(member, api_as):
    api = api_as(member)
    media_id = upload(api, pictures.png()).json()["id"]
    response = api.post("/api/v1/statuses", {"status": "form", "media_ids[]": [media_id]}, json=False)
    assert response.status_code == 200, response.content
    assert response.json()["media_attachments"][0]["id"] == media_id


def test_an_upload_is_attached_once_and_not_edited_through_the_media_api_afterwards(member, api_as):
    api = api_as(member)
    media_id = upload(api, pictures.png()).json()["id"]
    assert api.post("/api/v1/statuses", {"status": "one", "media_ids": [media_id]}).status_code == 200
    assert_error(
        api.post("/api/v1/statuses", {"status": "two", "media_ids": [media_id]}), 422, "already attached"
    )
    put = api.client.put(
        f"/api/v1/media/{media_id}", '{"description": "late"}', content_type="application/json",
        headers=api.headers,
    )  # fmt: skip
    assert_error(put, 422, "editing the post")


def test_deleting_a_post_frees_its_pictures_for_a_redraft(member, api_as):
    api = api_as(member)
    media_id = upload(api, pictures.png()).json()["id"]
    first = api.post("/api/v1/statuses", {"status": "typo", "media_ids": [media_id]}).json()
    api.client.delete(f"/api/v1/statuses/{first['id']}", headers=api.headers)
    again = api.post("/api/v1/statuses", {"status": "fixed", "media_ids": [media_id]})
    assert again.status_code == 200 and again.json()["media_attachments"][0]["id"] == media_id


def test_unattached_uploads_are_removed_after_a_day_with_their_files(member, api_as):
    api = api_as(member)
    kept_id = upload(api, pictures.png()).json()["id"]
    api.post("/api/v1/statuses", {"status": "kept", "media_ids": [kept_id]})
    stale = MediaAttachment.objects.get(pk=upload(api, pictures.png()).json()["id"])
    fresh_id = upload(api, pictures.png()).json()["id"]
    MediaAttachment.objects.filter(pk__in=[kept_id, stale.pk]).update(
        created_at=timezone.now() - timedelta(days=2)
    )
    assert default_storage.exists(stale.file)
    assert services.remove_unattached() == 1
    assert not default_storage.exists(stale.file) and not default_storage.exists(stale.preview)
    assert set(MediaAttachment.objects.values_list("pk", flat=True)) == {int(kept_id), int(fresh_id)}


def test_the_clean_up_task_is_a_periodic_huey_task(member):
    from obole.media import tasks

    row = services.upload(
        member, SimpleUploadedFile("a.png", pictures.png()), now=timezone.now() - timedelta(days=3)
    )
    assert tasks.remove_unattached_media.call_local() == 1
    assert not MediaAttachment.objects.filter(pk=row.pk).exists()


def test_media_files_are_served_only_from_the_media_folder(db):
    client = Client()
    assert client.get("/media/../secret_key").status_code == 404
    assert client.get("/media/media_attachments/1/nothing/original.png").status_code == 404
    assert client.get("/media/media_attachments/1/x/original.txt").status_code == 404


def test_timelines_with_pictures_ask_no_more_queries(member, api_as, django_assert_max_num_queries):
    api = api_as(member)
    api.get("/api/v1/timelines/home")  # with Redis, the list is made by a first read, then fan-out fills it
    for n in range(3):
        media_id = upload(api, pictures.png()).json()["id"]
        post_services.post_status(member, f"picture {n}", media_ids=[media_id])
    with django_assert_max_num_queries(6):
        page = api.get("/api/v1/timelines/home").json()
    assert [len(item["media_attachments"]) for item in page] == [1, 1, 1]


def test_deleting_an_account_deletes_its_pictures_and_their_files(
    member, api_as, django_capture_on_commit_callbacks
):
    from obole.accounts.deletion import delete_account

    api = api_as(member)
    attached = upload(api, pictures.png()).json()["id"]
    api.post("/api/v1/statuses", {"status": "bye", "media_ids": [attached]})
    loose = MediaAttachment.objects.get(pk=upload(api, pictures.png()).json()["id"])
    with django_capture_on_commit_callbacks(execute=True):
        delete_account(member, timezone.now())
    assert not MediaAttachment.objects.exists()
    assert not default_storage.exists(loose.file) and not default_storage.exists(loose.preview)


@pytest.mark.parametrize("bad", ["abc", "-1", str(2**63), "99999999999999999999999"])
def test_ids_that_cannot_exist_are_not_found_or_refused_never_a_500(member, api_as, bad):
    api = api_as(member)
    assert_error(api.get(f"/api/v1/media/{bad}"), 404)
    assert_error(api.post("/api/v1/statuses", {"status": "x", "media_ids": [bad]}), 422, "media_ids")
    assert_error(api.get(f"/api/v1/polls/{bad}"), 404)
    assert_error(api.post(f"/api/v1/polls/{bad}/votes", {"choices": ["0"]}), 404)
