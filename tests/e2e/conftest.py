from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from tests.e2e.sample_site import browser_session


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    """One browser for a module's tests; each test opens its own contexts."""
    with browser_session() as browser:
        yield browser
