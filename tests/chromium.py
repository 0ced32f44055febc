"""Real headless Chromium (Debian's package) driven by Playwright; no browser downloads.

One Playwright instance serves the whole test session (the ``browser`` fixture in
tests/conftest.py): its sync API runs an event loop in the test thread, so a second instance
started beside it fails. Without Chromium the tests that need it are skipped locally; with
REQUIRE_BROWSER=1 (CI) they fail.
"""

from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
    "--no-first-run", "--disable-background-networking", "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    return os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which(
        "chromium-browser"
    )


def launched_browser():
    """Yield a launched Chromium for the session's ``browser`` fixture."""
    path = chromium_path()
    if not path:
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail("Chromium is required (REQUIRE_BROWSER=1) but was not found")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    # Playwright's sync API runs an event loop in the test thread; the ORM calls the tests make
    # for set-up are ordinary blocking calls, which Django would otherwise refuse there.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, headless=True,
                                             args=CHROMIUM_ARGS)
        yield browser
        browser.close()
