"""The simulation's HTTP client: JSON requests to the public API, as one client address.

Every request carries `X-Forwarded-For: <the actor's address>`; the server
believes it only because it runs with OBOLE_TRUSTED_PROXIES=127.0.0.1 (the
simulation is the proxy). Nothing here calls the server's code directly.
"""

from __future__ import annotations

import http.client
import json
import threading
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict | list

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def message(self) -> str:
        if isinstance(self.body, dict):
            return str(self.body.get("error", ""))
        return ""


class Server:
    """One keep-alive connection per thread to the server at `base`."""

    def __init__(self, base: str, timeout: float = 120):
        parts = urlsplit(base)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{base!r} is not a server address such as http://127.0.0.1:8000")
        self.base = base.rstrip("/")
        self.scheme, self.host, self.port = parts.scheme, parts.hostname, parts.port
        self.timeout = timeout
        self.local = threading.local()

    def _connection(self) -> http.client.HTTPConnection:
        connection = getattr(self.local, "connection", None)
        if connection is None:
            kind = http.client.HTTPSConnection if self.scheme == "https" else http.client.HTTPConnection
            connection = kind(self.host, self.port, timeout=self.timeout)
            self.local.connection = connection
        return connection

    def request(
        self,
        method: str,
        path: str,
        *,
        address: str,
        token: str | None = None,
        data: dict | None = None,
        form: bool = False,
    ) -> Answer:
        headers = {"X-Forwarded-For": address, "Accept": "application/json"}
        body = None
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if data is not None:
            if form:
                body = urlencode(data).encode()
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            else:
                body = json.dumps(data).encode()
                headers["Content-Type"] = "application/json"
        for attempt in range(2):
            connection = self._connection()
            try:
                connection.request(method, path, body=body, headers=headers)
                response = connection.getresponse()
                raw = response.read()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # A kept-alive connection the server had closed: the request never ran, so send it again.
                connection.close()
                self.local.connection = None
                if attempt == 1:
                    return Answer(0, {"error": "the server did not answer"})
            except (http.client.HTTPException, OSError):
                # A timeout or worse: the request may have run, so it is not sent twice (a second
                # sign-up would find its own username taken). Status 0 is "no answer" (rules.py).
                connection.close()
                self.local.connection = None
                return Answer(0, {"error": "the server did not answer"})
        try:
            parsed = json.loads(raw) if raw else {}
        except ValueError:
            parsed = {"error": raw[:200].decode("utf-8", "replace")}
        return Answer(response.status, parsed)

    def get(self, path: str, **kwargs) -> Answer:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs) -> Answer:
        return self.request("POST", path, **kwargs)
