"""Browser-test fixtures: the app on a live server, Debian's Chromium through Playwright, helpers.

The Playwright browser download is not used: Chromium is Debian's /usr/bin/chromium. When it is missing
the e2e tests are skipped locally and fail on CI (the CI environment variable is set).
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pyotp
import pytest
from flask import Flask, has_app_context
from werkzeug.serving import make_server

from registry.core.models import User
from registry.extensions import db
from tests.conftest import PASSWORD, UserRef

CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
VIEWPORT = {"width": 1280, "height": 800}
TIMEOUT_MS = 10_000


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The test app served over HTTP on a free local port; yields the base URL (no trailing slash)."""
    assert not has_app_context(), "no app context may stay pushed while the app serves requests"
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="e2e-live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the whole run."""
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        reason = (f"e2e: Chromium not found at {CHROMIUM}; install Debian's chromium package "
                  "(apt-get install chromium) or set E2E_CHROMIUM to its path")
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (CI is set, so the browser tests must run)", pytrace=False)
        print(f"\nSKIPPED {reason}", file=sys.stderr)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def new_context(browser: Any, live_server: str) -> Iterator[Callable[..., Any]]:
    """Factory: a fresh browser context (own cookies) on the live server; all are closed after the test."""
    contexts: list[Any] = []

    def factory(locale: str = "fi-FI", **kwargs: Any) -> Any:
        context = browser.new_context(base_url=live_server, locale=locale, viewport=VIEWPORT, **kwargs)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context

    yield factory
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context: Callable[..., Any]) -> Any:
    """A page in a new Finnish-locale browser context; relative URLs go to the live server."""
    return new_context().new_page()


@pytest.fixture
def sign_in(app: Flask) -> Callable[..., None]:
    """Sign in through the form (and the six-digit code step when the user has TOTP)."""
    signed_in: set[int] = set()

    def _sign_in(page: Any, user: UserRef, password: str = PASSWORD) -> None:
        if user.totp_secret and user.id in signed_in:
            with app.app_context():
                # The code of the first sign-in may still be current: allow it once more.
                account = db.session.get(User, user.id)
                assert account is not None
                account.totp_last_step = None
                db.session.commit()
        page.goto("/login")
        page.fill("#email", user.email)
        page.fill("#password", password)
        with page.expect_navigation():
            page.click("main form button[type=submit]")
        if "/login/verify" in page.url:
            assert user.totp_secret, f"{user.email} was asked for a code but has no TOTP secret"
            page.fill("#code", pyotp.TOTP(user.totp_secret).now())
            with page.expect_navigation():
                page.click("main form button[type=submit]")
        signed_in.add(user.id)
        assert "/login" not in page.url, f"sign-in of {user.email} failed: {page.url}\n{page.inner_text('main')}"

    return _sign_in


@pytest.fixture
def sign_out() -> Callable[[Any], None]:
    """Sign out with the button in the page header."""

    def _sign_out(page: Any) -> None:
        page.click(".user-box form button[type=submit]")
        page.wait_for_url("**/login")

    return _sign_out
