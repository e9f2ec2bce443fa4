"""Pictures on the web pages: the compose box attaches them with alt text (a plain multipart form),
posts show them with their alt text, and sensitive ones behind a cover."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from obole.media.models import MediaAttachment
from obole.posts.models import Status
from tests import pictures

pytestmark = pytest.mark.django_db


def signed_in(account) -> Client:
    client = Client()
    client.force_login(account)
    return client


def picture(name: str = "cat.png", data: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data or pictures.png(), "image/png")


def test_the_compose_box_is_a_multipart_form_with_picture_slots(member):
    page = signed_in(member).get("/home").content.decode()
    assert 'enctype="multipart/form-data"' in page
    assert page.count('type="file"') == 4
    assert 'name="alt_0"' in page and "alt text" in page


def test_a_member_posts_a_picture_with_alt_text_from_the_web(member):
    client = signed_in(member)
    form = {"status": "My cat", "picture_0": picture(), "alt_0": "A ginger cat asleep", "next": "/home"}
    response = client.post("/statuses/new", form)
    assert response.status_code == 302
    row = Status.objects.get(account=member)
    assert [item["description"] for item in row.media] == ["A ginger cat asleep"]
    assert MediaAttachment.objects.get().status_id == row.pk
    page = client.get("/home").content.decode()
    assert 'alt="A ginger cat asleep"' in page
    assert re.search(r'<img src="http://[^"]+/media/media_attachments/\d+/\w+/small\.png"', page)
    assert "media-cover" not in page


def test_a_picture_only_post_needs_no_text_and_a_sensitive_one_gets_a_cover(member):
    client = signed_in(member)
    client.post("/statuses/new", {"status": "", "picture_1": picture(), "sensitive": "1"})
    row = Status.objects.get(account=member)
    assert row.sensitive and len(row.media) == 1
    page = client.get(f"/@{member.username}/{row.pk}").content.decode()
    assert '<details class="media-cover"><summary>Sensitive media' in page
    assert 'alt="A picture without a description"' in page


def test_a_post_with_a_content_warning_hides_its_pictures_too(member):
    client = signed_in(member)
    client.post("/statuses/new", {"status": "spoiler", "spoiler_text": "film ending", "picture_0": picture()})
    page = client.get("/home").content.decode()
    assert '<details class="media-cover">' in page


def test_a_file_that_is_not_a_picture_comes_back_in_the_compose_box_with_the_reason(member):
    client = signed_in(member)
    fake = picture("cat.png", pictures.html_pretending_to_be_png())
    response = client.post("/statuses/new", {"status": "kept text", "picture_0": fake})
    assert response.status_code == 422
    page = response.content.decode()
    assert "not a picture Obole accepts" in page and "kept text" in page
    assert not Status.objects.exists() and not MediaAttachment.objects.exists()


def test_an_unpaid_member_cannot_post_pictures_from_the_web(newcomer):
    response = signed_in(newcomer).post("/statuses/new", {"status": "hi", "picture_0": picture()})
    assert response.status_code == 402
    assert not MediaAttachment.objects.exists()


def test_a_multipart_body_larger_than_four_pictures_is_refused_unread(member, settings):
    settings.OBOLE_MEDIA_MAX_BYTES = 1_000
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_024
    big = SimpleUploadedFile("big.png", b"\0" * 6_000, "image/png")
    response = signed_in(member).post("/statuses/new", {"status": "big", "picture_0": big})
    assert response.status_code == 413
    assert b"at most 5,024 bytes" in response.content
    assert not Status.objects.exists()


def test_the_data_export_lists_each_posts_pictures_with_their_alt_text(member):
    import json

    from obole.accounts.export import archive

    signed_in(member).post("/statuses/new", {"status": "cat", "picture_0": picture(), "alt_0": "A cat"})
    document = json.loads("".join(archive(member, member.date_joined)))
    [media] = document["statuses"][0]["media"]
    assert media["description"] == "A cat" and "/media/media_attachments/" in media["url"]
