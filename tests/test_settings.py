"""Start-up configuration: a malformed OBOLE_* value stops `obole` with exit code 2.

Each test runs `python -m obole` in a subprocess with a fresh data directory and
without any OBOLE_* variable from the surrounding environment (so the outcome
does not depend on how the test run itself is configured).
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


@pytest.fixture
def data_dir(tmp_path):
    return tmp_path / "data"


def run_obole(data_dir, *args: str, **variables: str) -> subprocess.CompletedProcess:
    env = {name: value for name, value in os.environ.items() if not name.startswith("OBOLE_")}
    env["OBOLE_DATA_DIR"] = str(data_dir)
    env.update(variables)
    return subprocess.run(
        [sys.executable, "-m", "obole", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_embedded_default_starts_without_any_configuration(data_dir):
    result = run_obole(data_dir, "check")
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("OBOLE_ACCOUNTS_PER_CARD", "0", "OBOLE_ACCOUNTS_PER_CARD must be at least 1"),
        ("OBOLE_ACCOUNTS_PER_CARD", "one", "OBOLE_ACCOUNTS_PER_CARD must be a whole number"),
        ("OBOLE_FEE_AMOUNT", "3.001", "OBOLE_FEE_AMOUNT must be an amount"),
        ("OBOLE_FEE_AMOUNT", "0", "OBOLE_FEE_AMOUNT must be more than zero"),
        ("OBOLE_FEE_INTERVAL", "fortnight", "OBOLE_FEE_INTERVAL must be one of day, week, month, year"),
        ("OBOLE_DATABASE_URL", "mysql://obole@localhost/obole", "OBOLE_DATABASE_URL must be a sqlite://"),
        ("OBOLE_DATABASE_URL", "not a url", "OBOLE_DATABASE_URL must look like"),
        ("OBOLE_DUNNING_RETRY_DAYS", "5,3", "OBOLE_DUNNING_RETRY_DAYS must be increasing"),
        ("OBOLE_DUNNING_RETRY_DAYS", "1,x", "OBOLE_DUNNING_RETRY_DAYS must be comma-separated"),
        ("OBOLE_FEE_BY_COUNTRY", "GB=2.50", "OBOLE_FEE_BY_COUNTRY entries look like"),
        ("OBOLE_FANOUT_MAX_FOLLOWERS", "many", "OBOLE_FANOUT_MAX_FOLLOWERS must be a whole number"),
        ("OBOLE_TIMELINE_LENGTH", "5", "OBOLE_TIMELINE_LENGTH must be at least 20"),
    ],
    ids=lambda value: value if isinstance(value, str) and len(value) < 30 else None,
)
def test_a_malformed_value_stops_start_up_naming_the_variable(data_dir, variable, value, message):
    result = run_obole(data_dir, "check", **{variable: value})
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("obole: configuration error: ")
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_production_refuses_to_start_without_a_secret_key(data_dir):
    result = run_obole(data_dir, "check", OBOLE_PRODUCTION="true", OBOLE_ALLOWED_HOSTS="obole.example")
    assert result.returncode == 2
    assert "OBOLE_SECRET_KEY must be set" in result.stderr
    # Nothing was generated in its place.
    assert not (data_dir / "secret_key").exists()


def test_the_embedded_default_generates_a_private_secret_key_and_keeps_it(data_dir):
    show_key = (
        "shell",
        "--verbosity",
        "0",
        "-c",
        "from django.conf import settings; print(settings.SECRET_KEY)",
    )
    first = run_obole(data_dir, *show_key)
    assert first.returncode == 0, first.stderr
    key_file = data_dir / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    # The card fingerprint key is generated alongside, just as private.
    assert stat.S_IMODE((data_dir / "fingerprint_key").stat().st_mode) == 0o600
    key = first.stdout.strip()
    assert len(key) >= 32
    assert key_file.read_text().strip() == key

    second = run_obole(data_dir, *show_key)
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == key
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
