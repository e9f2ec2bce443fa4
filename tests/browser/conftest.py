"""Real Chromium, driven by Playwright, against a real `obole serve`.

Chromium comes from the system (`apt-get install chromium`): Playwright cannot
download a browser build of its own here. Without it the browser tests skip on
a developer's machine and fail under CI (OBOLE_REQUIRE_SERVICES=1), where
`.ci/run` installs it first.

Every page runs under the server's Content-Security-Policy (Playwright's
bypass_csp stays off), and every browser context is watched: a violation that
Chromium reports (a blocked inline script, style, frame or connection) fails the
test that caused it.
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


# Runs in every frame before the page's own scripts (Playwright injects it; the
# page's CSP does not apply to it) and reports each violation on the console.
_REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.effectiveDirective} blocked ${event.blockedURI || "inline code"}`
    + ` at ${event.sourceFile || document.location.href}:${event.lineNumber}`);
});
"""


class CspWatch:
    """Collects the CSP violations of every browser context it watches."""

    def __init__(self) -> None:
        self.violations: list[str] = []

    def watch(self, context) -> None:
        context.add_init_script(script=_REPORT_VIOLATIONS)
        context.on("console", self._console)

    def _console(self, message) -> None:
        text = message.text
        reported = "Content Security Policy" in text or text.startswith("CSP violation")
        if message.type == "error" and reported:
            self.violations.append(f"{message.page.url if message.page else '?'}: {text}")

    def take(self) -> list[str]:
        found, self.violations = self.violations, []
        return found


class WatchedBrowser:
    """The Playwright browser, with every new context watched for CSP violations."""

    def __init__(self, browser, watch: CspWatch) -> None:
        self._browser = browser
        self._watch = watch

    def new_context(self, **options):
        context = self._browser.new_context(**options)
        self._watch.watch(context)
        return context

    def __getattr__(self, name: str):
        return getattr(self._browser, name)


@pytest.fixture(scope="session")
def csp_watch() -> CspWatch:
    return CspWatch()


@pytest.fixture(autouse=True)
def _no_csp_violations(csp_watch) -> Iterator[None]:
    """Fail the test during which a page reported a Content-Security-Policy violation."""
    yield
    found = csp_watch.take()
    if found:
        pytest.fail("Content-Security-Policy violations:\n" + "\n".join(found), pytrace=False)


@pytest.fixture(scope="session")
def browser(csp_watch) -> Iterator:
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
        yield WatchedBrowser(browser, csp_watch)
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
