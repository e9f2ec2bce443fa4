"""Typed readers for environment variables.

Each reader returns the default when the variable is unset or empty, and
raises `ConfigError` naming the variable when its value is malformed, so a
typo in the configuration stops the server at start instead of surfacing as
odd behaviour later.
"""

from __future__ import annotations

import os
from collections.abc import Mapping


class ConfigError(ValueError):
    """A malformed configuration value; the message names the variable."""


def _raw(name: str, environ: Mapping[str, str] | None) -> str | None:
    value = (environ if environ is not None else os.environ).get(name)
    if value is None or value.strip() == "":
        return None
    return value.strip()


def env_str(name: str, default: str = "", environ: Mapping[str, str] | None = None) -> str:
    value = _raw(name, environ)
    return default if value is None else value


def env_bool(name: str, default: bool, environ: Mapping[str, str] | None = None) -> bool:
    value = _raw(name, environ)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, not {value!r}")


def env_int(
    name: str,
    default: int,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    environ: Mapping[str, str] | None = None,
) -> int:
    value = _raw(name, environ)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {value!r}") from None
    if minimum is not None and number < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, not {number}")
    if maximum is not None and number > maximum:
        raise ConfigError(f"{name} must be at most {maximum}, not {number}")
    return number


def env_int_list(name: str, default: list[int], environ: Mapping[str, str] | None = None) -> list[int]:
    """A comma-separated list of non-negative whole numbers, e.g. ``1,3,5``."""
    value = _raw(name, environ)
    if value is None:
        return list(default)
    try:
        numbers = [int(part) for part in value.split(",") if part.strip()]
    except ValueError:
        raise ConfigError(
            f"{name} must be comma-separated whole numbers such as 1,3,5, not {value!r}"
        ) from None
    if any(n < 0 for n in numbers):
        raise ConfigError(f"{name} must not contain negative numbers, not {value!r}")
    return numbers


def env_choice(
    name: str, default: str, choices: tuple[str, ...], environ: Mapping[str, str] | None = None
) -> str:
    value = _raw(name, environ)
    if value is None:
        return default
    if value.lower() not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}, not {value!r}")
    return value.lower()


def env_list(name: str, default: list[str], environ: Mapping[str, str] | None = None) -> list[str]:
    value = _raw(name, environ)
    if value is None:
        return list(default)
    return [part.strip() for part in value.split(",") if part.strip()]


def env_networks(name: str, environ: Mapping[str, str] | None = None) -> list:
    """A comma-separated list of IP networks ("10.0.0.0/8, ::1"); empty when unset."""
    from obole.lib.addresses import parse_networks

    try:
        return parse_networks(env_list(name, [], environ))
    except ValueError as error:
        raise ConfigError(f"{name}: {error}") from None
