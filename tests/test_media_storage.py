"""Where media is stored: the data directory by default, an S3-compatible bucket when configured."""

from __future__ import annotations

from pathlib import Path

import pytest

from obole.lib.env import ConfigError
from obole.lib.storage import CACHE_CONTROL, media_storage

DATA = Path("/srv/obole")


def test_media_goes_to_the_data_directory_by_default():
    entry = media_storage(DATA, {})
    assert entry["BACKEND"] == "django.core.files.storage.FileSystemStorage"
    assert entry["OPTIONS"] == {"location": "/srv/obole/media", "base_url": "/media/"}


def test_a_bucket_switches_to_django_storages_s3_with_public_immutable_objects():
    entry = media_storage(
        DATA,
        {
            "OBOLE_MEDIA_S3_BUCKET": "obole-media",
            "OBOLE_MEDIA_S3_ENDPOINT_URL": "https://s3.eu-central-1.example.com/",
            "OBOLE_MEDIA_S3_REGION": "eu-central-1",
            "OBOLE_MEDIA_S3_ACCESS_KEY_ID": "AKIAEXAMPLE",
            "OBOLE_MEDIA_S3_SECRET_ACCESS_KEY": "not-a-real-secret",
            "OBOLE_MEDIA_S3_PUBLIC_URL": "https://media.obole.example/files/",
        },
    )
    assert entry["BACKEND"] == "storages.backends.s3.S3Storage"
    options = entry["OPTIONS"]
    assert options["bucket_name"] == "obole-media"
    assert options["endpoint_url"] == "https://s3.eu-central-1.example.com"
    assert options["region_name"] == "eu-central-1"
    assert (options["access_key"], options["secret_key"]) == ("AKIAEXAMPLE", "not-a-real-secret")
    assert (options["custom_domain"], options["url_protocol"]) == ("media.obole.example/files", "https:")
    assert options["querystring_auth"] is False and options["file_overwrite"] is False
    assert options["object_parameters"] == {"CacheControl": CACHE_CONTROL}


def test_without_keys_the_s3_backend_uses_the_machines_own_credentials():
    options = media_storage(DATA, {"OBOLE_MEDIA_S3_BUCKET": "b"})["OPTIONS"]
    assert "access_key" not in options and "endpoint_url" not in options and "custom_domain" not in options


def test_the_s3_backend_accepts_the_parsed_options():
    """Made, not used: constructing the backend checks the options and talks to no bucket."""
    from storages.backends.s3 import S3Storage

    options = media_storage(
        DATA, {"OBOLE_MEDIA_S3_BUCKET": "b", "OBOLE_MEDIA_S3_PUBLIC_URL": "https://m.example"}
    )
    storage = S3Storage(**options["OPTIONS"])
    assert (
        storage.url("media_attachments/1/x/original.png")
        == "https://m.example/media_attachments/1/x/original.png"
    )


@pytest.mark.parametrize(
    ("variables", "named"),
    [
        ({"OBOLE_MEDIA_S3_ENDPOINT_URL": "s3.example.com"}, "OBOLE_MEDIA_S3_ENDPOINT_URL"),
        ({"OBOLE_MEDIA_S3_PUBLIC_URL": "ftp://cdn"}, "OBOLE_MEDIA_S3_PUBLIC_URL"),
        ({"OBOLE_MEDIA_S3_ACCESS_KEY_ID": "only-half"}, "OBOLE_MEDIA_S3_SECRET_ACCESS_KEY"),
    ],
)
def test_a_malformed_s3_setting_names_the_variable(variables, named):
    with pytest.raises(ConfigError, match=named):
        media_storage(DATA, {"OBOLE_MEDIA_S3_BUCKET": "b", **variables})
