"""The WSGI application that `obole serve` runs: Django's handler, a little leaner."""

import gc
import os
import time
import weakref
from collections.abc import Callable, Iterable

from django.core.wsgi import get_wsgi_application
from django.http import HttpResponse

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "obole.settings")
_django = get_wsgi_application()

# Imported once Django is set up.
from django.conf import settings  # noqa: E402
from django.core import signals  # noqa: E402
from django.core.handlers.wsgi import get_script_name  # noqa: E402
from django.db import connections  # noqa: E402
from django.urls import set_script_prefix, set_urlconf  # noqa: E402


def application(environ: dict, start_response: Callable) -> Iterable[bytes]:
    """Django's WSGI handler, handing a complete answer over as one bytes chunk.

    Django returns the response object itself, which a WSGI server must iterate
    and close; Granian then streams it from Python, chunk by chunk, which took
    a tenth of a home timeline read. An answer already in memory (every API
    and page answer; not files nor streams) is closed here — the request's
    end as Django signals it — and given as a list, which Granian sends at once.

    Around the same middleware and views, it also does itself what the
    receivers of Django's request_started and request_finished signals would
    do, rather than dispatch them (`_lean_call`).
    """
    if _lean:
        return _lean_call(environ, start_response)
    response = _django(environ, start_response)
    if _in_memory(response):
        body = response.content
        response.close()
        return [body]
    return response


def _in_memory(response: object) -> bool:
    return type(response) is HttpResponse or (
        isinstance(response, HttpResponse) and not getattr(response, "streaming", False)
    )


# What Django connects to the request signals (by name); `_lean_call` does their work itself.
_KNOWN_RECEIVERS = (
    {"reset_queries", "close_old_connections"},
    {"close_old_connections", "close_caches", "reset_urlconf"},
)
# Cache backends whose close() does nothing, so that close_caches has nothing to do.
_CACHES_WITHOUT_CLOSE = frozenset(
    ("django.core.cache.backends.locmem.LocMemCache", "django.core.cache.backends.redis.RedisCache")
)


def lean_possible() -> bool:
    """Whether `_lean_call` does all that the request signals' receivers would: only Django's
    own receivers listen, the caches have nothing to close, and DEBUG (which logs every query,
    for reset_queries to forget) is off."""
    listening = (_receivers(signals.request_started), _receivers(signals.request_finished))
    caches_quiet = all(cache["BACKEND"] in _CACHES_WITHOUT_CLOSE for cache in settings.CACHES.values())
    return not settings.DEBUG and caches_quiet and listening == _KNOWN_RECEIVERS


def _receivers(signal: signals.Signal) -> set[str]:
    names = set()
    for _, reference, *_ in signal.receivers:
        receiver = reference() if isinstance(reference, weakref.ref) else reference
        names.add(getattr(receiver, "__qualname__", repr(receiver)))
    return names


_lean = lean_possible()
# A connection that served a request this recently is not asked whether it still works
# before the next one (see `_check_connections`).
HEALTH_CHECK_AFTER_IDLE = 1.0


def _check_connections() -> None:
    """close_old_connections, as Django runs it when a request starts, but with the health check
    re-armed only for a connection idle for a second or more. Django asks PostgreSQL
    (`SELECT 1`) before the first query of every request, a round trip as long as a hot query;
    a connection busy a moment ago is known to work. Should the server go away meanwhile, the
    request fails once and the connection is replaced before the next (errors_occurred)."""
    now = time.monotonic()
    for connection in connections.all(initialized_only=True):
        checked = connection.health_check_done
        connection.close_if_unusable_or_obsolete()
        if checked and connection.connection is not None:
            connection.health_check_done = now - _last_request.get(connection, 0.0) < HEALTH_CHECK_AFTER_IDLE
        _last_request[connection] = now


# When each database connection (one per thread) last began a request.
_last_request: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _lean_call(environ: dict, start_response: Callable) -> Iterable[bytes]:
    """Django's WSGIHandler.__call__, less the signals. Dispatching the two signals (and walking
    every connection and cache for each) took a tenth of a verify_credentials call; what their
    receivers do is done here: the database connections are checked once, at the start (closed
    if broken, past their age or left in a transaction), as close_old_connections does
    (`_check_connections`); the caches in use (local memory, Redis) have nothing to close;
    the URLconf is reset at the end."""
    set_script_prefix(get_script_name(environ))
    _check_connections()
    request = _django.request_class(environ)
    try:
        response = _django.get_response(request)
        response._handler_class = _django.__class__
        status = f"{response.status_code} {response.reason_phrase}"
        cookies = [("Set-Cookie", cookie.output(header="")) for cookie in response.cookies.values()]
        start_response(status, [*response.items(), *cookies])
        if not _in_memory(response):
            return response  # closed by the server, with Django's signal
        body = response.content
        for close in response._resource_closers:
            close()
        response._resource_closers.clear()
        response.closed = True
        return [body]
    finally:
        set_urlconf(None)


def settle_collector() -> None:
    """Keep the garbage collector's full passes short and rare in a long-running server.

    A full pass walks every object the process holds: some 320,000 once the caches of token
    instances and rendered statuses fill, which took up to 200 ms on this 2-core machine, five
    times in 40,000 calls — every request then in the worker waited (the p99 of
    verify_credentials was 160–230 ms for a p50 of 8 ms). Freezing what the start made
    (Django, the URL patterns, the modules: 176,000 objects, never garbage) takes them out of
    every pass, and a full pass is made only after a hundred middle ones instead of ten (the
    young generations still collect the request's own cycles as often as before).
    """
    gc.collect()
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_PASS_EVERY)


# Middle-generation passes between two full ones (Python's default: 10).
FULL_PASS_EVERY = 100

settle_collector()
