"""How `obole serve` hands requests to Django and answers to the server (obole.wsgi), and the SQLite
backend's statement conversion (obole.lib.sqlite)."""

from __future__ import annotations

import io

import pytest
from django.db import connection

from obole import wsgi
from obole.lib.sqlite.base import _qmark
from obole.wsgi import application
from tests.conftest import token_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _keep_the_test_connection(monkeypatch):
    """As Django's test client does: the start and end of a request must not close the test's
    connection (it holds the test's transaction)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    monkeypatch.setattr(wsgi, "_check_connections", lambda: None)  # tests below put it back
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


# The SQLite writers' queue (obole.lib.sqlite): one transaction at a time, handed over at once.

WRITER_SCRIPT = """
import os, sys, django
os.environ["DJANGO_SETTINGS_MODULE"] = "obole.settings"
django.setup()
from django.db import transaction, connection
with connection.cursor() as cursor:
    cursor.execute("CREATE TABLE IF NOT EXISTS writer_queue (n INTEGER, who TEXT)")
for n in range(int(sys.argv[1])):
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM writer_queue")
            (count,) = cursor.fetchone()
            cursor.execute("INSERT INTO writer_queue VALUES (%s, %s)", [count, sys.argv[2]])
"""


@pytest.mark.skipif("connection.vendor != 'sqlite'")
def test_sqlite_writers_in_several_processes_take_turns(tmp_path):
    """Each transaction reads the count and writes it back: with writers taking turns, the counts
    written are 0, 1, 2, … with no gap or repeat, and nobody is told the database is locked."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("OBOLE_")}
    env.update(OBOLE_DATA_DIR=str(tmp_path), OBOLE_DATABASE_URL=f"sqlite:///{tmp_path / 'queue.sqlite3'}")
    script = tmp_path / "writer.py"
    script.write_text(WRITER_SCRIPT)
    subprocess.run([sys.executable, str(script), "1", "setup"], env=env, check=True, timeout=60)
    writers = [
        subprocess.Popen([sys.executable, str(script), "60", f"p{n}"], env=env, stderr=subprocess.PIPE)
        for n in range(3)
    ]
    for writer in writers:
        _, err = writer.communicate(timeout=120)
        assert writer.returncode == 0, err.decode()[-2000:]
    import sqlite3

    with sqlite3.connect(tmp_path / "queue.sqlite3") as db:
        counts = [row[0] for row in db.execute("SELECT n FROM writer_queue ORDER BY rowid")]
    assert counts == list(range(181))
    assert oct((tmp_path / "queue.sqlite3.lock").stat().st_mode & 0o777) == "0o600"


@pytest.mark.skipif("connection.vendor != 'sqlite'")
@pytest.mark.django_db(transaction=True)
def test_a_failed_transaction_lets_the_next_writer_in():
    import threading

    from django.db import IntegrityError, transaction

    from obole.accounts.models import Account

    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.create(username="twice", email="a@example.com")
        Account.objects.create(username="twice", email="b@example.com")
    assert not connection._holds_writer
    done = []

    def another() -> None:
        with transaction.atomic():
            Account.objects.create(username="other", email="c@example.com")
        done.append(True)
        connection.close()

    thread = threading.Thread(target=another)
    thread.start()
    thread.join(timeout=10)
    assert done == [True]
    with transaction.atomic():  # the failed one left nothing; the other thread's is there
        assert list(
            Account.objects.filter(username__in=["twice", "other"]).values_list("username", flat=True)
        ) == ["other"]


@pytest.mark.skipif("connection.vendor != 'sqlite'")
@pytest.mark.django_db(transaction=True)
def test_a_write_outside_a_transaction_waits_its_turn_too():
    """A save() or update() outside atomic() is a transaction of SQLite's own: it queues with the
    others instead of meeting SQLite's lock (whose sleeping retries grow to 100 ms); a read does not."""
    import threading

    from obole.accounts.models import Account
    from obole.lib.sqlite.base import _writer

    account = Account.objects.create(username="queued", email="q@example.com")
    wrote, read = threading.Event(), threading.Event()

    def in_thread(work, done: threading.Event) -> threading.Thread:
        def run() -> None:
            try:
                work()
                done.set()
            finally:
                connection.close()

        thread = threading.Thread(target=run)
        thread.start()
        return thread

    with _writer(connection.settings_dict["NAME"]):  # as while another thread's transaction writes
        reader = in_thread(lambda: Account.objects.get(pk=account.pk), read)
        writer = in_thread(lambda: Account.objects.filter(pk=account.pk).update(display_name="Later"), wrote)
        assert read.wait(5)  # reads never wait
        assert not wrote.wait(0.3)  # the write waits for its turn
    writer.join(timeout=10)
    reader.join(timeout=10)
    assert wrote.is_set()
    assert Account.objects.get(pk=account.pk).display_name == "Later"
    assert not connection._holds_writer


def test_a_forked_child_starts_with_no_writer_lock_held(tmp_path):
    """Granian forks its workers: a lock a parent's thread held at that moment must not stay taken."""
    import os

    from obole.lib.sqlite.base import _lock_file, _take_file_lock, _writer

    name = str(tmp_path / "forked.sqlite3")
    held = _writer(name)
    held.acquire()
    assert _take_file_lock(_lock_file(name), 1)
    try:
        pid = os.fork()
        if pid == 0:  # the child: its thread lock is free; the file lock is the parent's, shared no more
            if not _writer(name).acquire(timeout=2):
                os._exit(2)
            os._exit(3 if _take_file_lock(_lock_file(name), 0) else 0)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
    finally:
        import fcntl

        fcntl.flock(_lock_file(name), fcntl.LOCK_UN)
        held.release()


_checks = wsgi._check_connections


def _environ(path: str, method: str = "GET", **headers: str) -> dict:
    query = path.partition("?")[2]
    return {
        "REQUEST_METHOD": method,
        "PATH_INFO": path.partition("?")[0],
        "QUERY_STRING": query,
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "HTTP_HOST": "localhost",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": io.StringIO(),
        **headers,
    }


def _answer(handler, environ: dict) -> tuple[str, dict, bytes]:
    started = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info=None) -> None:
        started["status"], started["headers"] = status, headers

    body = handler(environ, start_response)
    content = b"".join(body)
    if hasattr(body, "close"):
        body.close()
    # Cookies carry fresh random values (CSRF): their names must match, not the values.
    headers = {
        name: value.split("=")[0] if name == "Set-Cookie" else value for name, value in started["headers"]
    }
    return started["status"], headers, content


@pytest.fixture
def djangos_receivers():
    """The receivers of the request signals as Django connects them (this module's tests
    take close_old_connections away, as Django's test client does)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)
    yield
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)


def test_the_lean_call_is_taken_under_these_settings(djangos_receivers):
    assert wsgi._lean and wsgi.lean_possible()


def test_the_lean_call_answers_exactly_as_django_does(settings, member):
    """The same status, headers and body as Django's own handler, for API reads and refusals,
    a preflight, a page and a missing path (rate-limit counts aside, which each call spends)."""
    settings.ALLOWED_HOSTS = ["localhost"]
    settings.OBOLE_RATE_LIMIT_REQUESTS = 0
    token = token_for(member)
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    cases = [
        _environ("/api/v1/accounts/verify_credentials", **bearer),
        _environ("/api/v1/timelines/home?limit=5", **bearer),
        _environ("/api/v1/accounts/verify_credentials", HTTP_AUTHORIZATION="Bearer wrong"),
        _environ("/api/v1/timelines/home"),
        _environ("/api/v1/instance"),
        _environ("/api/v1/no-such-thing"),
        _environ("/api/v1/statuses", "OPTIONS", HTTP_ORIGIN="https://app.example"),
        _environ("/about"),
        _environ("/no-such-page"),
    ]
    for environ in cases:
        lean = _answer(wsgi._lean_call, dict(environ, **{"wsgi.input": io.BytesIO(b"")}))
        full = _answer(wsgi._django, dict(environ, **{"wsgi.input": io.BytesIO(b"")}))
        assert lean == full, environ["PATH_INFO"]
    assert lean[0].startswith("404")


def test_the_lean_call_is_not_taken_when_another_receiver_listens(djangos_receivers, settings):
    from django.core.signals import request_finished

    def audit(**kwargs) -> None:
        pass

    request_finished.connect(audit)
    try:
        assert not wsgi.lean_possible()
    finally:
        request_finished.disconnect(audit)
    assert wsgi.lean_possible()
    settings.DEBUG = True  # every query is logged, for reset_queries to forget
    assert not wsgi.lean_possible()


@pytest.mark.django_db(transaction=True)
def test_a_connection_past_its_age_is_replaced_before_the_next_request(settings, monkeypatch):
    """What close_old_connections does at the start of a request, the lean call does too."""
    import time

    monkeypatch.setattr(wsgi, "_check_connections", _checks)
    settings.ALLOWED_HOSTS = ["localhost"]
    connection.ensure_connection()
    before = connection.connection
    connection.close_at = time.monotonic() - 1
    status, _, _ = _answer(wsgi._lean_call, _environ("/api/v1/instance"))
    assert status == "200 OK"
    assert connection.connection is not None and connection.connection is not before


def test_the_server_keeps_full_collections_rare_and_short():
    """What the start made is frozen out of the collector's passes, and full passes are rarer."""
    import gc

    assert gc.get_freeze_count() > 10_000
    assert gc.get_threshold()[2] == wsgi.FULL_PASS_EVERY


@pytest.mark.django_db(transaction=True)
def test_a_connection_busy_a_moment_ago_is_not_asked_again_whether_it_works(settings, monkeypatch):
    """Django asks the database server (PostgreSQL: SELECT 1) before every request's first query;
    the lean call asks only when the connection has been idle for a second or more."""
    import time

    from django.db import connections

    monkeypatch.setattr(wsgi, "_check_connections", _checks)
    settings.ALLOWED_HOSTS = ["localhost"]
    wrapper = connections["default"]
    asked = []
    monkeypatch.setattr(type(wrapper), "is_usable", lambda self: asked.append(1) or True)
    wrapper.ensure_connection()
    wrapper.health_check_done = True
    wsgi._last_request.pop(wrapper, None)

    def served() -> None:  # a read that always queries
        status, _, _ = _answer(wsgi._lean_call, _environ("/api/v1/timelines/public"))
        assert status == "200 OK"

    served()
    assert len(asked) == 1  # never seen before: asked
    served()
    served()
    assert len(asked) == 1  # busy a moment ago: not asked again
    wsgi._last_request[wrapper] = time.monotonic() - 2 * wsgi.HEALTH_CHECK_AFTER_IDLE
    served()
    assert len(asked) == 2  # idle a while: asked again
