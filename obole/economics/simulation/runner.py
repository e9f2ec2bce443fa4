"""One simulation run, step by step.

1. Join (simulated day 0): in a shuffled order, each actor registers an app
   from its address (one per address, as a client would), signs up with the
   app's token, then tries its cards on the membership API until one works.
2. Act on day 0: every actor that paid posts once (ring bots follow first);
   a post answered 2xx means it can write.
3. For each later checkpoint day: the billing clock moves (`clock(start + day)`,
   which runs `obole billing run --as-of`), actors who swap cards do so before
   renewal, and every actor that could write tries again.
4. Each actor's ledger is read back to learn what it paid.

Everything goes through the server's public HTTP API; threads only overlap
requests. Outcomes are read from the `rule` field the server puts in a
refusal, or else from status codes and error messages (rules.py). Every
refusal naming a rule is also tallied per stage and rule (`refused`): the same
counts the server keeps as bot pressure, so the two can be compared.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from obole.economics.simulation.client import Answer, Server
from obole.economics.simulation.farm import Actor
from obole.economics.simulation.rules import named_rule, stop

DEFAULT_DAYS = [0, 10, 20, 29, 31, 33, 35, 38]
SCOPES = "read write follow"


class Progress:
    """What the runner reports; the command shows it as a rich progress bar."""

    def phase(self, name: str, total: int) -> None:
        pass

    def advance(self) -> None:
        pass


class Run:
    def __init__(
        self,
        server: Server,
        actors: list[Actor],
        *,
        clock: Callable[[datetime], None],
        start: datetime,
        days: list[float] | None = None,
        concurrency: int = 8,
        seed: int = 1,
        progress: Progress | None = None,
        join_seconds: float | None = None,
    ):
        self.server = server
        self.actors = actors
        self.clock = clock
        self.start = start
        self.days = sorted(days or DEFAULT_DAYS)
        self.concurrency = concurrency
        self.rng = random.Random(seed)  # noqa: S311 -- a reproducible draw, not a secret
        self.progress = progress or Progress()
        self.apps: dict[str, str | Answer] = {}  # an app's token, or the answer that refused it
        self.app_locks: dict[str, threading.Lock] = {}
        self.lock = threading.Lock()
        self.plan: dict | None = None
        self.join_seconds = join_seconds
        self.join_deadline: float | None = None
        self.skipped: set[int] = set()  # ids of actors that never started (out of time)
        self.refused: Counter[tuple[str, str]] = Counter()  # (stage, rule) → refusals the server named

    def saw(self, answer: Answer, stage: str) -> Answer:
        """Tally a refusal the server named (its `rule` field) at `stage`; return the answer."""
        rule = named_rule(answer)
        if rule:
            with self.lock:
                self.refused[(stage, rule)] += 1
        return answer

    # --- the steps ------------------------------------------------------------

    def run(self) -> None:
        order = list(self.actors)
        self.rng.shuffle(order)
        if self.join_seconds is not None:
            self.join_deadline = time.monotonic() + self.join_seconds
        self._each("sign-ups and cards", order, self.join)
        order = [actor for actor in order if id(actor) not in self.skipped]
        self.actors = [actor for actor in self.actors if id(actor) not in self.skipped]
        # Before renewal: the last checkpoint before day 30 (a month after joining).
        swap_day = max((day for day in self.days if day < 30), default=None)
        for day in self.days:
            if day:
                self.clock(self.start + timedelta(days=day))
            if day == swap_day:
                self._each("swapping cards", [a for a in order if a.later_card and a.record.paid], self.swap)
            self._each(f"day {day:g}", order, lambda actor, day=day: self.act(actor, day))
        self._each("reading ledgers", [a for a in order if a.record.paid], self.read_ledger)

    def _each(self, name: str, actors: Iterable[Actor], step: Callable[[Actor], None]) -> None:
        actors = list(actors)
        self.progress.phase(name, len(actors))

        def one(actor: Actor) -> None:
            step(actor)
            self.progress.advance()

        with ThreadPoolExecutor(self.concurrency) as pool:
            list(pool.map(one, actors))

    # --- one actor --------------------------------------------------------------

    def app_token(self, actor: Actor) -> str | Answer:
        """The client-credentials token of the actor's app, registered from its address on first use."""
        key = actor.app_key or actor.record.address
        with self.lock:
            lock = self.app_locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self.apps:
                self.apps[key] = self._register_app(actor.record.address)
            return self.apps[key]

    def _register_app(self, address: str) -> str | Answer:
        app = self.server.post(
            "/api/v1/apps",
            address=address,
            data={
                "client_name": "farm",
                "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
                "scopes": SCOPES,
            },
        )
        if not self.saw(app, "app_registration").ok:
            return app
        token = self.server.post(
            "/oauth/token",
            address=address,
            form=True,
            data={
                "grant_type": "client_credentials",
                "client_id": app.body["client_id"],
                "client_secret": app.body["client_secret"],
                "scope": SCOPES,
            },
        )
        return token.body["access_token"] if token.ok else token

    def join(self, actor: Actor) -> None:
        record = actor.record
        if self.join_deadline is not None and time.monotonic() > self.join_deadline:
            self.skipped.add(id(actor))  # out of time: this actor never starts
            return
        app_token = self.app_token(actor)
        record.sign_up_attempts += 1
        if isinstance(app_token, Answer):
            record.stopped_by = stop(app_token, "app_registration", 0)
            return
        answer = self.server.post(
            "/api/v1/accounts",
            address=record.address,
            token=app_token,
            data={
                "username": record.username,
                "email": f"{record.username}@example.org",
                "password": actor.password,
                "agreement": True,
                "locale": "en",
            },
        )
        if not self.saw(answer, "sign_up").ok:
            record.stopped_by = stop(answer, "sign_up", 0)
            return
        record.signed_up = True
        actor.token = answer.body["access_token"]
        refusal = None
        for card in actor.cards:
            record.card_attempts += 1
            answer = self.server.post(
                "/api/obole/v1/membership/payment_method",
                address=record.address,
                token=actor.token,
                data=card.form(),
            )
            if self.saw(answer, "payment").ok:
                record.paid, record.card, refusal = True, card.label, None
                if self.plan is None:
                    self.plan = answer.body.get("plan")
                break
            refusal = stop(answer, "payment", 0)
        if refusal is not None:
            record.stopped_by = refusal
            return
        if actor.ring_next or record.kind == "human":
            me = self.server.get(
                "/api/v1/accounts/verify_credentials", address=record.address, token=actor.token
            )
            actor.account_id = me.body.get("id") if me.ok else None

    def swap(self, actor: Actor) -> None:
        """Attach the card the actor will let fail at renewal (an active membership is not charged now)."""
        actor.record.card_attempts += 1
        answer = self.server.post(
            "/api/obole/v1/membership/payment_method",
            address=actor.record.address,
            token=actor.token,
            data=actor.later_card.form(),
        )
        self.saw(answer, "payment")

    def act(self, actor: Actor, day: float) -> None:
        record = actor.record
        done = record.stopped_by is not None and (record.got_write_access or day > 0)
        if actor.token is None or done:
            record.saw_write(day, False)
            return
        rng = random.Random(f"{record.username}{day}")  # noqa: S311 -- reproducible text
        if day == 0:
            for other in actor.ring_next:
                if other.account_id:
                    path = f"/api/v1/accounts/{other.account_id}/follow"
                    self._write(
                        record, day, self.server.post(path, address=record.address, token=actor.token)
                    )
        answer = self.server.post(
            "/api/v1/statuses", address=record.address, token=actor.token, data={"status": actor.post(rng)}
        )
        self._write(record, day, answer)
        if record.kind == "human" and rng.random() < 0.3 and answer.ok:  # some people post more
            more = self.server.post(
                "/api/v1/statuses",
                address=record.address,
                token=actor.token,
                data={"status": actor.post(rng)},
            )
            self.saw(more, "write")

    def _write(self, record, day: float, answer) -> None:
        self.saw(answer, "write")
        if answer.status == 429:  # throttled, not stopped: the account may still write later
            record.throttled.append(stop(answer, "write", day))
            record.saw_write(day, True)
            return
        record.saw_write(day, answer.ok)
        if isinstance(answer.body, dict) and answer.body.get("flagged"):
            record.flagged.append(str(answer.body["flagged"]))
        if not answer.ok and record.stopped_by is None:
            record.stopped_by = stop(answer, "write", day)

    def read_ledger(self, actor: Actor) -> None:
        answer = self.server.get(
            "/api/obole/v1/membership/ledger", address=actor.record.address, token=actor.token
        )
        if answer.ok and isinstance(answer.body, list):
            actor.record.paid_minor = sum(int(entry["amount"]) for entry in answer.body)
