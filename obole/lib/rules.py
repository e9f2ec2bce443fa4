"""A tiny rule language for sign-up and payment screening, in the spirit of Stripe Radar.

    review if funding == "prepaid"
    block if cards_per_network_per_hour > 5
    review if email_disposable and country != "US"
    block if not (card_country == account_country) and funding == "prepaid"

Grammar (parsed by hand, never eval'd)::

    rule       := ("block" | "review") "if" expr
    expr       := term ("or" term)*
    term       := factor ("and" factor)*
    factor     := "not" factor | "(" expr ")" | comparison
    comparison := NAME [("==" | "!=" | ">" | ">=" | "<" | "<=") (NUMBER | STRING | NAME | true | false)]

A bare NAME is true when its value is truthy. Only the names the caller lists
are allowed, so a typo is caught when the configuration is read. A rule that
needs a value the situation does not have (a card's funding at sign-up) is not
checked there; it is quiet, never an error.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

ACTIONS = ("block", "review")
_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
}
_TOKEN = re.compile(
    r"""\s*(?:
        (?P<number>-?\d+(?:\.\d+)?)
      | (?P<string>"[^"\\]*"|'[^'\\]*')
      | (?P<op>==|!=|>=|<=|>|<)
      | (?P<paren>[()])
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)


class RuleError(ValueError):
    """A rule that cannot be read; the message says where."""


class Missing(Exception):
    """The situation has no value for a name the rule uses."""


@dataclass(frozen=True)
class Rule:
    action: str
    text: str
    names: frozenset[str]
    _test: Callable[[Mapping[str, Any]], bool]

    def applies(self, values: Mapping[str, Any]) -> bool:
        """Whether the rule fires; False when it needs a value `values` lacks."""
        if not self.names <= values.keys():
            return False
        return self._test(values)


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise RuleError(f"cannot read {text[position:]!r} in {text!r}")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str, allowed: frozenset[str]):
        self.text = text
        self.tokens = _tokens(text)
        self.position = 0
        self.allowed = allowed
        self.names: set[str] = set()

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise RuleError(f"{self.text!r} ends too early")
        self.position += 1
        return token

    def keyword(self, word: str) -> bool:
        token = self.peek()
        if token == ("name", word):
            self.position += 1
            return True
        return False

    def expr(self) -> Callable[[Mapping[str, Any]], bool]:
        parts = [self.term()]
        while self.keyword("or"):
            parts.append(self.term())
        return parts[0] if len(parts) == 1 else (lambda v: any(part(v) for part in parts))

    def term(self) -> Callable[[Mapping[str, Any]], bool]:
        parts = [self.factor()]
        while self.keyword("and"):
            parts.append(self.factor())
        return parts[0] if len(parts) == 1 else (lambda v: all(part(v) for part in parts))

    def factor(self) -> Callable[[Mapping[str, Any]], bool]:
        if self.keyword("not"):
            inner = self.factor()
            return lambda v: not inner(v)
        if self.peek() == ("paren", "("):
            self.take()
            inner = self.expr()
            if self.take() != ("paren", ")"):
                raise RuleError(f"a ')' is missing in {self.text!r}")
            return inner
        return self.comparison()

    def operand(self) -> Callable[[Mapping[str, Any]], Any]:
        kind, value = self.take()
        if kind == "number":
            number = float(value) if "." in value else int(value)
            return lambda v: number
        if kind == "string":
            text = value[1:-1]
            return lambda v: text
        if kind == "name" and value in ("true", "false"):
            flag = value == "true"
            return lambda v: flag
        if kind == "name" and value not in ("and", "or", "not", "if"):
            if value not in self.allowed:
                raise RuleError(
                    f"unknown name {value!r} in {self.text!r}; known: {', '.join(sorted(self.allowed))}"
                )
            self.names.add(value)
            return lambda v: v[value]
        raise RuleError(f"expected a name, number or quoted text, not {value!r} in {self.text!r}")

    def comparison(self) -> Callable[[Mapping[str, Any]], bool]:
        left = self.operand()
        token = self.peek()
        if token is None or token[0] != "op":
            return lambda v: bool(left(v))
        compare = _OPS[self.take()[1]]
        right = self.operand()

        def test(v: Mapping[str, Any]) -> bool:
            try:
                return bool(compare(left(v), right(v)))
            except TypeError:  # "prepaid" > 3: a mismatch is simply not a match
                return False

        return test


def parse_rule(text: str, allowed: frozenset[str]) -> Rule:
    parser = _Parser(text, allowed)
    kind, action = parser.take()
    if kind != "name" or action not in ACTIONS:
        raise RuleError(f"{text!r} must start with block or review")
    if not parser.keyword("if"):
        raise RuleError(f"{text!r} needs 'if' after {action}")
    test = parser.expr()
    if parser.peek() is not None:
        raise RuleError(f"unexpected {parser.peek()[1]!r} in {text!r}")  # type: ignore[index]
    return Rule(action, " ".join(text.split()), frozenset(parser.names), test)


def parse_rules(text: str, allowed: frozenset[str]) -> list[Rule]:
    """Rules separated by new lines or semicolons; blank entries are skipped."""
    return [parse_rule(line, allowed) for line in re.split(r"[;\n]", text) if line.strip()]


# The names a rule may use, and what each means. Sign-up rules see the first
# group; payment rules see both.
SIGNUP_NAMES = {
    "email_domain": "the part of the e-mail address after the @, lower-case",
    "email_disposable": "true when that domain is a known disposable-mail domain",
    "country": "the account's country (two letters, may be empty)",
    "signups_per_ip_per_hour": "sign-ups from the client address this hour, this one included",
    "signups_per_network_per_hour": "sign-ups from the client's /24 or /64 this hour, this one included",
}
PAYMENT_NAMES = {
    "funding": "the card's funding: credit, debit, prepaid or unknown",
    "brand": "the card's brand: visa, mastercard, amex...",
    "card_country": "the country that issued the card (may be empty)",
    "account_country": "the account's country (may be empty)",
    "cards_per_ip_per_hour": "payment attempts from the client address this hour, this one included",
    "cards_per_network_per_hour": "payment attempts from the /24 or /64 this hour, this one included",
    "failed_attempts_per_card": "failed attempts with this card in the last hour",
    "account_age_hours": "hours since the account was created",
}
NAMES = frozenset(SIGNUP_NAMES) | frozenset(PAYMENT_NAMES)
