"""The WSGI application that `obole serve` runs."""

import os
from collections.abc import Callable, Iterable

from django.core.wsgi import get_wsgi_application
from django.http import HttpResponse

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "obole.settings")
_django = get_wsgi_application()


def application(environ: dict, start_response: Callable) -> Iterable[bytes]:
    """Django's WSGI handler, handing a complete answer over as one bytes chunk.

    Django returns the response object itself, which a WSGI server must iterate
    and close; Granian then streams it from Python, chunk by chunk, which took
    a tenth of a home timeline read. An answer already in memory (every API
    and page answer; not files nor streams) is closed here — the request's
    end as Django signals it — and given as a list, which Granian sends at once.
    """
    response = _django(environ, start_response)
    if type(response) is HttpResponse or (
        isinstance(response, HttpResponse) and not getattr(response, "streaming", False)
    ):
        body = response.content
        response.close()
        return [body]
    return response
