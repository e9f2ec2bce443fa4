"""The base of every error a person can act on: a message and the HTTP status to answer with.

Services raise these; the API's `endpoint` decorator and the web pages show
the message, so no view translates errors by hand.
"""

from __future__ import annotations


class UserError(Exception):
    status = 422
    # The name of the check that refused, for refusals a rule makes (the API answers it as `rule`).
    rule = ""

    def __init__(self, message: str, *, status: int | None = None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status


class NotFound(UserError):
    status = 404


class Forbidden(UserError):
    status = 403


class WriteRefused(UserError):
    """The account may not write now (docs/architecture.md rule 2); the API answers 402."""

    status = 402

    def __init__(self, message: str, *, rule: str = ""):
        super().__init__(message)
        self.rule = rule
