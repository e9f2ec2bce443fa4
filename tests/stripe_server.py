"""localstripe on 127.0.0.1, with recorded Stripe responses where localstripe has none.

    python tests/stripe_server.py PORT

localstripe (a stateful fake Stripe server) answers the Stripe SDK and serves a
Stripe.js stand-in at /js.stripe.com/v3/. It has no disputes, no Radar early
fraud warnings and always reports a French credit card, so a test may record a
response for a GET path with `POST /_config/recorded` ({"path": …, "body": {…}}):
the SDK then fetches that object over HTTP as it would from Stripe. Nothing is
kept on disk (localstripe would pickle its store to /tmp after every write).
"""

from __future__ import annotations

import sys

from aiohttp import web
from localstripe.resources import store
from localstripe.server import app

RECORDED: dict[str, dict] = {}


@web.middleware
async def recorded_responses(request: web.Request, handler):
    if request.method == "GET" and request.path in RECORDED:
        return web.json_response(RECORDED[request.path])
    return await handler(request)


async def record(request: web.Request) -> web.Response:
    data = await request.json()
    RECORDED[data["path"]] = data["body"]
    return web.json_response({"recorded": data["path"]})


def main() -> None:
    port = int(sys.argv[1])
    store.dump_to_disk = lambda: None
    app.middlewares.insert(0, recorded_responses)
    app.router.add_post("/_config/recorded", record)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


if __name__ == "__main__":
    main()
