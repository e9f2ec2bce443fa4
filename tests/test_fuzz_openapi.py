"""Schemathesis against a live `obole serve`, driven by the OpenAPI documents.

- Mastodon's document (tests/data/mastodon-openapi.json.gz) for every operation
  Obole serves: the operations are picked by asking Obole's own URL table, so
  a new endpoint is fuzzed as soon as it is routed, and the features Obole
  lacks (obole/api/unsupported.py) are left out.
- Obole's own document (obole/api/openapi/obole.json) for /api/obole/v1/….

Checks: `not_a_server_error` (no 5xx, whatever is sent) and
`response_schema_conformance` (what comes back is what the document says).
Requests carry the token of a paid member, so write paths run for real. The
example count is bounded (OBOLE_FUZZ_EXAMPLES, default 5 per operation) and
the run has a time budget (OBOLE_FUZZ_SECONDS), so that CI spends a few
minutes per database; the seed is fixed so a failure can be replayed.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.urls import Resolver404, resolve

from obole.api import streaming, unsupported
from tests.live import serve

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
MASTODON = ROOT / "tests" / "data" / "mastodon-openapi.json.gz"
OBOLE = ROOT / "obole" / "api" / "openapi" / "obole.json"
EXAMPLES = int(os.environ.get("OBOLE_FUZZ_EXAMPLES", "5"))
SECONDS = int(os.environ.get("OBOLE_FUZZ_SECONDS", "180"))
SEED = 20261130
METHODS = ("get", "post", "put", "patch", "delete")
# Limits that would turn a fuzzer's thousands of requests into 429s, and the card-testing brake.
UNLIMITED = {
    "OBOLE_RATE_LIMIT_REQUESTS": "0",
    "OBOLE_RATE_LIMIT_POSTS": "0",
    "OBOLE_RATE_LIMIT_FOLLOWS": "0",
    "OBOLE_SIGNUPS_PER_IP": "0",
    "OBOLE_PAYMENT_FAILURES_PER_ACCOUNT": "0",
    "OBOLE_PAYMENT_FAILURES_PER_IP": "0",
    "OBOLE_LOGIN_FAILURES_PER_IP_AND_USERNAME": "0",
    "OBOLE_LOGIN_FAILURES_PER_IP": "0",
    "OBOLE_LOGIN_FAILURES_PER_USERNAME": "0",
    "OBOLE_CONTACT_EMAIL": "admin@obole.example",
}


def served(method: str, template: str) -> bool:
    """Whether Obole's web server answers `method template` itself (not with "... is not supported",
    nor with a redirect to the streaming server, whose API tests/test_streaming.py drives)."""
    path = re.sub(r"\{[^}]+\}", "1", template)
    try:
        match = resolve(path)
    except Resolver404:
        return False
    if match.func is streaming.redirect:
        return False
    return match.func is not unsupported.view and unsupported.feature(method.upper(), path) is None


def mastodon_document(target: Path) -> Path:
    """Mastodon's document with only the operations Obole serves, and its known slips mended."""
    document = json.loads(gzip.decompress(MASTODON.read_bytes()))
    # GET /api/v1/filters answers a list of V1Filter on Mastodon too; the document says one.
    listing = document["paths"]["/api/v1/filters"]["get"]["responses"]["200"]["content"]["application/json"]
    listing["schema"] = {"type": "array", "items": listing["schema"]}
    paths = {}
    for template, item in document["paths"].items():
        kept = {key: value for key, value in item.items() if key not in METHODS or served(key, template)}
        if any(key in METHODS for key in kept):
            paths[template] = kept
    document["paths"] = paths
    target.write_text(json.dumps(document))
    return target


def test_the_operations_fuzzed_are_every_one_obole_serves(tmp_path):
    document = json.loads(mastodon_document(tmp_path / "m.json").read_text())
    operations = {(m, p) for p, item in document["paths"].items() for m in item if m in METHODS}
    assert ("get", "/api/v1/timelines/home") in operations and ("post", "/api/v1/statuses") in operations
    assert ("put", "/api/v1/statuses/{id}") in operations  # editing
    assert ("get", "/api/v1/streaming/health") not in operations  # streaming: the streaming server
    assert not any(p.startswith("/api/v1/streaming") for _m, p in operations)
    assert len(operations) > 70


def _call(base: str, path: str, body: dict | None = None, token: str | None = None) -> dict:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data, headers, method="POST" if data else "GET")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        raise AssertionError(f"{path}: {exc.code} {exc.read()[:300]!r}") from None


def paid_member(base: str) -> str:
    """Sign up and pay over HTTP, as an app would; a token with every scope."""
    scopes = "read write follow push"
    app = _call(base, "/api/v1/apps", {"client_name": "fuzz", "redirect_uris": "urn:x", "scopes": scopes})
    secret = {"client_id": app["client_id"], "client_secret": app["client_secret"]}
    app_token = _call(base, "/oauth/token", {"grant_type": "client_credentials", "scope": scopes} | secret)
    sign_up = {"username": "fuzzer", "email": "fuzz@example.org", "password": "a long pass phrase"}
    token = _call(base, "/api/v1/accounts", sign_up | {"agreement": True}, app_token["access_token"])
    raw = token["access_token"]
    card = {"card_number": "4242424242424242", "exp_month": 12, "exp_year": 2040, "cvc": "123"}
    assert _call(base, "/api/obole/v1/membership/payment_method", card, raw)["state"] == "active"
    first = _call(base, "/api/v1/statuses", {"status": "hello #fuzz"}, raw)
    _call(base, "/api/v1/statuses", {"status": "a reply", "in_reply_to_id": first["id"]}, raw)
    return raw


def schemathesis(document: Path, base: str, token: str, report: Path) -> subprocess.CompletedProcess:
    command = [
        str(Path(sys.executable).with_name("st")),
        "run",
        str(document),
        "--url",
        base,
        # Coverage (boundary and malformed values of every parameter) and random fuzzing. The
        # stateful phase follows the document's links, many of which lead to operations left out.
        "--phases",
        "coverage,fuzzing",
        "--checks",
        "not_a_server_error,response_schema_conformance",
        "--max-examples",
        str(EXAMPLES),
        "--max-time",
        str(SECONDS),
        "--seed",
        str(SEED),
        "--workers",
        "2",
        "--header",
        f"Authorization: Bearer {token}",
        "--request-timeout",
        "30",
        "--suppress-health-check",
        "all",
        "--no-color",
        "--report",
        "junit",
        "--report-junit-path",
        str(report),
    ]
    # Run where the report goes: schemathesis keeps a cache (.schemathesis/) in its working directory.
    return subprocess.run(
        command, capture_output=True, text=True, timeout=SECONDS * 3 + 120, cwd=report.parent
    )


def test_no_server_error_and_every_answer_as_documented(tmp_path):
    with serve(tmp_path / "data", "fuzz", **UNLIMITED) as (base, _env):
        token = paid_member(base)
        for name, document in (("obole", OBOLE), ("mastodon", mastodon_document(tmp_path / "mastodon.json"))):
            run = schemathesis(document, base, token, tmp_path / f"{name}.xml")
            assert run.returncode == 0, f"{name}:\n{run.stdout[-20000:]}\n{run.stderr[-3000:]}"
            counted = re.search(r"(\d+) generated, (\d+) passed", run.stdout)
            print(f"{name}: {counted.group(0) if counted else 'no count'}")  # shown with -s
