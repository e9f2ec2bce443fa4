"""Regenerate the README's screenshots: `.venv/bin/python docs/screenshots/take.py` from the repository.

Starts `obole serve` on a fresh data directory, seeds it with `obole demo --members 30 --days 3`, signs in
as the demo member and photographs the landing page, the home timeline and the membership page in
headless Chromium (the same browser and flags as the browser tests), 1280×800 and at a phone's width.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.browser.conftest import CHROMIUM_ARGS, DESKTOP, PHONE, chromium_executable  # noqa: E402
from tests.live import serve  # noqa: E402


def seed(env: dict) -> tuple[str, str]:
    """Seed the server's database through the real services; return the demo member's name and password."""
    done = subprocess.run(
        [sys.executable, "-m", "obole", "demo", "--members", "30", "--days", "3"],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    username = re.search(r"username: (\S+)", done.stdout)
    password = re.search(r"password: (\S+)", done.stdout)
    if not (username and password):
        raise SystemExit("obole demo did not print the demo member's password:\n" + done.stdout)
    return username.group(1), password.group(1)


def sign_in(context, username: str, password: str) -> None:
    page = context.new_page()
    page.goto("/auth/sign_in")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    page.close()


def shoot(context, path: str, name: str) -> None:
    page = context.new_page()
    page.goto(path)
    page.wait_for_load_state("networkidle")
    page.screenshot(path=HERE / f"{name}.png")
    print(f"docs/screenshots/{name}.png  ({path})")
    page.close()


def main() -> None:
    executable = chromium_executable()
    if executable is None:
        raise SystemExit("Chromium is not installed (apt-get install chromium)")
    with tempfile.TemporaryDirectory() as data, serve(Path(data), "screenshots") as (base, env):
        username, password = seed(env)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
            visitor = browser.new_context(base_url=base, viewport=DESKTOP)
            shoot(visitor, "/", "landing")
            desktop = browser.new_context(base_url=base, viewport=DESKTOP)
            sign_in(desktop, username, password)
            shoot(desktop, "/home", "home")
            shoot(desktop, "/membership", "membership")
            phone = browser.new_context(base_url=base, viewport=PHONE, device_scale_factor=2, is_mobile=True)
            sign_in(phone, username, password)
            shoot(phone, "/home", "home-phone")
            browser.close()


if __name__ == "__main__":
    main()
