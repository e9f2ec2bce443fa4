"""Text the database cannot store, found before it gets there.

PostgreSQL refuses a NUL character in any text column, and neither database
driver can encode a lone surrogate (what JSON's "\\ud800" decodes to) as
UTF-8: either would be a 500 deep in a query. `problem` names what is wrong
with a value, or anything nested in it, so that the edge of the server (the
API's `endpoint` decorator, the input middleware) can answer 400 instead.
"""

from __future__ import annotations

import re

# U+0000, and the surrogates U+D800–U+DFFF, which are never characters on their own.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def text_problem(value: str) -> str | None:
    found = _UNSTORABLE.search(value)
    if found is None:
        return None
    if found.group() == "\x00":
        return "contains a NUL character"
    return "is not valid Unicode (a lone surrogate)"


def problem(value: object, name: str = "") -> str | None:
    """'status contains a NUL character', for the first bad string in `value` (keys included)."""
    if isinstance(value, str):
        found = text_problem(value)
        return f"{name or 'a value'} {found}" if found else None
    if isinstance(value, dict):
        for key, item in value.items():
            found = problem(key, "a field name") if isinstance(key, str) else None
            found = found or problem(item, str(key) if not text_problem(str(key)) else "a field")
            if found:
                return found
    elif isinstance(value, (list, tuple)):
        for item in value:
            found = problem(item, name)
            if found:
                return found
    return None
