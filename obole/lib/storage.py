"""Where uploaded media is kept: the data directory, or an S3-compatible bucket.

`media_storage()` reads the OBOLE_MEDIA_S3_* variables and returns the entry
for Django's `STORAGES["default"]`. Without a bucket, files go under
`<data dir>/media` and Obole serves them itself (obole.media.views). With one,
django-storages' S3 backend writes them to the bucket (AWS, MinIO, Garage,
Ceph, R2…) and the URLs in the API point at the bucket or at
OBOLE_MEDIA_S3_PUBLIC_URL (a CDN or the bucket's public address). The
bucket's objects must be publicly readable: Mastodon apps load pictures
without a token. boto3 is needed then: `pip install 'obole[s3]'`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from obole.lib.env import ConfigError, env_str

# A year: every stored name carries a random part and is never rewritten.
CACHE_CONTROL = "public, max-age=31536000, immutable"


def media_storage(data_dir: Path, environ: Mapping[str, str] | None = None) -> dict:
    """The STORAGES["default"] entry for media, from the environment."""
    bucket = env_str("OBOLE_MEDIA_S3_BUCKET", environ=environ)
    if not bucket:
        return {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(data_dir / "media"), "base_url": "/media/"},
        }
    options: dict = {
        "bucket_name": bucket,
        "default_acl": None,
        # Public objects, plain URLs: apps fetch pictures without credentials.
        "querystring_auth": False,
        "file_overwrite": False,
        "object_parameters": {"CacheControl": CACHE_CONTROL},
    }
    endpoint = env_str("OBOLE_MEDIA_S3_ENDPOINT_URL", environ=environ)
    if endpoint:
        if not _is_http_url(endpoint):
            raise ConfigError("OBOLE_MEDIA_S3_ENDPOINT_URL must look like https://s3.example.com")
        options["endpoint_url"] = endpoint.rstrip("/")
    region = env_str("OBOLE_MEDIA_S3_REGION", environ=environ)
    if region:
        options["region_name"] = region
    key_id = env_str("OBOLE_MEDIA_S3_ACCESS_KEY_ID", environ=environ)
    secret = env_str("OBOLE_MEDIA_S3_SECRET_ACCESS_KEY", environ=environ)
    if bool(key_id) != bool(secret):
        raise ConfigError(
            "OBOLE_MEDIA_S3_ACCESS_KEY_ID and OBOLE_MEDIA_S3_SECRET_ACCESS_KEY must be set together"
        )
    if key_id:
        options["access_key"] = key_id
        options["secret_key"] = secret
    public = env_str("OBOLE_MEDIA_S3_PUBLIC_URL", environ=environ)
    if public:
        if not _is_http_url(public):
            raise ConfigError("OBOLE_MEDIA_S3_PUBLIC_URL must look like https://media.obole.example")
        parts = urlsplit(public)
        # django-storages wants a host (and path) without the scheme, and the scheme apart.
        options["custom_domain"] = (parts.netloc + parts.path).rstrip("/")
        options["url_protocol"] = f"{parts.scheme}:"
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}


def _is_http_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)
