"""How `obole serve` hands answers to the server (obole.wsgi), and the SQLite backend's
statement conversion (obole.lib.sqlite)."""

from __future__ import annotations

import io

import pytest
from django.db import connection

from obole.lib.sqlite.base import _qmark
from obole.wsgi import application

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """As Django's test client does: the end of a request must not close the test's connection."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def call(path: str) -> tuple[str, dict, list[bytes] | object]:
    started = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info=None) -> None:
        started["status"], started["headers"] = status, dict(headers)

    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "HTTP_HOST": "localhost",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": io.StringIO(),
    }
    body = application(environ, start_response)
    return started["status"], started["headers"], body


def test_an_answer_in_memory_is_handed_over_as_one_chunk(settings):
    settings.ALLOWED_HOSTS = ["localhost"]
    status, headers, body = call("/api/v1/instance")
    assert status == "200 OK" and headers["Content-Type"].startswith("application/json")
    assert isinstance(body, list) and len(body) == 1 and b'"uri"' in body[0]
    missing, _, body = call("/api/v1/no-such-thing")
    assert missing.startswith("404") and isinstance(body, list)


def test_a_streamed_answer_is_left_to_the_server(settings, tmp_path):
    """Files (the static files, pictures) stream as Django made them, closed by the server."""
    from django.http import FileResponse

    settings.ALLOWED_HOSTS = ["localhost"]
    picture = tmp_path / "a.txt"
    picture.write_bytes(b"x" * 10_000)
    from obole.wsgi import _django

    original = _django.get_response
    _django.get_response = lambda request: FileResponse(picture.open("rb"))
    try:
        status, _, body = call("/anything")
    finally:
        _django.get_response = original
    assert status == "200 OK" and not isinstance(body, list)
    assert b"".join(body) == b"x" * 10_000
    body.close()


def test_sqlite_statements_are_converted_as_django_converts_them():
    assert _qmark("SELECT %s, '%%' FROM t WHERE a = %s") == "SELECT ?, '%' FROM t WHERE a = ?"
    assert _qmark("SELECT %s, '%%' FROM t WHERE a = %s") is _qmark("SELECT %s, '%%' FROM t WHERE a = %s")
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s || '%%'", ["50"])
        assert cursor.fetchone()[0] in ("50%",)
