from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest
from django.db import connections
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, sync_playwright
from pytest_django import DjangoDbBlocker

from tests.conftest import PASSWORD
from tests.servers import LiveServer

T = TypeVar("T")

CHROMIUM = "/usr/bin/chromium"
# What the machine's probe found Chromium needs here: no sandbox as root, and no background
# traffic to Google that the closed network would refuse.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


# Module scope, and only after the server (and so the session's data) exists: while Playwright
# runs, its event loop makes Django refuse synchronous database calls in this process.
@pytest.fixture(scope="module")
def browser(app_server: LiveServer) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run ./scripts/ensure-chromium.sh (make test does)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh browser profile. Every journey also checks the Content-Security-Policy: anything
    it refused (Chromium reports each refusal on the console) fails the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    refused: list[str] = []

    def note_refusal(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            refused.append(f"{message.location.get('url', '')}: {message.text}")

    context.on("console", note_refusal)
    yield context
    context.close()
    assert refused == [], "the Content-Security-Policy refused:\n" + "\n".join(refused)


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


def screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@dataclass
class Database:
    """Database work for a browser test, committed at once so the live server sees it.

    It runs on a thread of its own: Playwright's event loop owns the test's thread, and Django
    refuses synchronous queries there.
    """

    blocker: DjangoDbBlocker

    def __call__(self, work: Callable[[], T]) -> T:
        def run() -> T:
            try:
                return work()
            finally:
                connections.close_all()

        with self.blocker.unblock(), ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(run).result()


@pytest.fixture
def database(django_db_blocker: DjangoDbBlocker) -> Database:
    return Database(django_db_blocker)


def sign_in(
    page: Page, server: LiveServer, host: str, email: str, password: str = PASSWORD
) -> None:
    """Sign in on `host` with the form, as a person would; stops at whatever comes next."""
    page.goto(server.url(host, "/accounts/login/"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation():  # the form posts; whatever comes next has loaded
        page.get_by_role("button", name="Sign in").click()
