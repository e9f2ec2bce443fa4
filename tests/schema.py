"""Check what the API returns against Mastodon's own description of its entities.

`assert_entity("Status", body)` validates `body` against
`components.schemas.Status` of the Mastodon OpenAPI document (the whole
document is loaded, so `$ref`s between entities resolve), with JSON Schema
2020-12 and the format checks jsonschema can do offline (email, date…).

The document leaves nullable fields out of `required` although Mastodon always
sends them; `send_nulls=True` also fails when such a field is missing (send it
as null), following `$ref`s into nested entities. Use it for entities whose
every field Mastodon 4.3 sends; the newest fields of the spec may not apply.

The document is tests/data/mastodon-openapi.json.gz (see tests/data/README.md),
or the file OBOLE_MASTODON_OPENAPI names, to check against a newer spec.
"""

from __future__ import annotations

import gzip
import json
import os
from functools import cache
from pathlib import Path

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

DOCUMENT = Path(
    os.environ.get("OBOLE_MASTODON_OPENAPI", Path(__file__).parent / "data" / "mastodon-openapi.json.gz")
)
URI = "urn:mastodon-openapi"


@cache
def _document() -> dict:
    if not DOCUMENT.is_file():
        raise AssertionError(
            f"The Mastodon OpenAPI document is missing: set OBOLE_MASTODON_OPENAPI ({DOCUMENT})"
        )
    if DOCUMENT.suffix == ".gz":
        return json.loads(gzip.decompress(DOCUMENT.read_bytes()))
    return json.loads(DOCUMENT.read_text())


@cache
def _validator(name: str) -> Draft202012Validator:
    document = _document()
    if name not in document["components"]["schemas"]:
        raise AssertionError(f"{name!r} is not an entity of the Mastodon OpenAPI document")
    registry = Registry().with_resource(
        URI, Resource.from_contents(document, default_specification=DRAFT202012)
    )
    return Draft202012Validator(
        {"$ref": f"{URI}#/components/schemas/{name}"},
        registry=registry,
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def _resolve(schema: dict) -> dict:
    ref = schema.get("$ref", "")
    if ref.startswith("#/components/schemas/"):
        return _resolve(_document()["components"]["schemas"][ref.rsplit("/", 1)[1]])
    return schema


def _nullable(schema: dict) -> bool:
    kind = schema.get("type")
    if kind == "null" or (isinstance(kind, list) and "null" in kind):
        return True
    return any(_resolve(option).get("type") == "null" for option in schema.get("oneOf", []))


def _missing_nulls(schema: dict, data: object, path: str) -> list[str]:
    """Paths of nullable properties that `data` leaves out, at every depth."""
    schema = _resolve(schema)
    missing: list[str] = []
    for option in schema.get("oneOf", []) + schema.get("anyOf", []):
        if _resolve(option).get("type") != "null" and data is not None:
            missing += _missing_nulls(option, data, path)
    if isinstance(data, dict):
        for key, prop in schema.get("properties", {}).items():
            if key not in data:
                if _nullable(prop):
                    missing.append(f"{path}{key}")
            else:
                missing += _missing_nulls(prop, data[key], f"{path}{key}/")
    elif isinstance(data, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(data):
            missing += _missing_nulls(schema["items"], item, f"{path}{index}/")
    return missing


def assert_entity(name: str, data: object, *, send_nulls: bool = False) -> None:
    """Fail with every problem named by its path if `data` is not a valid Mastodon `name`."""
    errors = sorted(_validator(name).iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    problems = [f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}" for e in errors]
    if send_nulls:
        schema = _document()["components"]["schemas"][name]
        problems += [f"{path}: missing (send null)" for path in _missing_nulls(schema, data, "")]
    if problems:
        raise AssertionError(f"not a valid Mastodon {name}:\n  " + "\n  ".join(problems))
