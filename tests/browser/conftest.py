"""Real Chromium, driven by Playwright, against a real `obole serve`.

Chromium comes from the system (`apt-get install chromium`): Playwright cannot
download a browser build of its own here. Without it the browser tests skip on
a developer's machine and fail under CI (OBOLE_REQUIRE_SERVICES=1), where
`.ci/run` installs it first.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

# Headless and quiet: no sandbox (CI runs as root), no GPU, no calls home.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def chromium_executable() -> str | None:
    """OBOLE_CHROMIUM if set, else the Debian package's /usr/bin/chromium, else whatever is on PATH."""
    for candidate in (os.environ.get("OBOLE_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def _unavailable(reason: str) -> None:
    if os.environ.get("OBOLE_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason} (required: OBOLE_REQUIRE_SERVICES=1)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator:
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed")
    # Two server workers on a loaded CI machine: give a page more than Playwright's 5 s to show a change.
    expect.set_options(timeout=10_000)
    executable = chromium_executable()
    if executable is None:
        _unavailable("Chromium is not installed (apt-get install chromium)")
    # Playwright's launch gives the browser a fresh temporary profile (--user-data-dir) of its own.
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_context(browser, server):
    """Open as many browser contexts (separate cookie jars: separate people) as a test needs."""
    contexts = []

    def open_context(**options):
        options.setdefault("viewport", DESKTOP)
        context = browser.new_context(base_url=server, **options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context

    yield open_context
    for context in contexts:
        context.close()
