"""Browser journeys: a fresh page per test in the session's Chromium (``browser``, from
tests/conftest.py and tests/chromium.py)."""

from __future__ import annotations

import pytest


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
