"""Browser tests: Playwright for Python driving Debian's chromium against pytest-django's live server.

Playwright's sync API runs an event loop in the test thread, which makes Django refuse ORM calls from that thread
unless DJANGO_ALLOW_ASYNC_UNSAFE is set (a known pytest-django + Playwright interaction).
"""
import os
import re
import shutil

import pytest

from conftest import PASSWORD

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def password():
    return PASSWORD


@pytest.fixture(autouse=True)
def _live_settings(settings, live_server, product_mail):
    """Emails land in the outbox, and the links they carry point at the live server."""
    settings.BASE_URL = live_server.url
    settings.CSRF_TRUSTED_ORIGINS = [live_server.url]


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser, live_server):
    """new_page() opens a page in a fresh context: its own cookies, so logged out."""
    contexts = []

    def make(**options):
        options.setdefault("locale", "fr-FR")
        options.setdefault("viewport", {"width": 1280, "height": 800})
        context = browser.new_context(base_url=live_server.url, **options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


@pytest.fixture
def login():
    """login(page, email, password): log in through the form, and wait until we are past it."""
    def do(page, email, password):
        page.goto("/login/")
        page.fill("input[name=username]", email)
        page.fill("input[name=password]", password)
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url(re.compile(r"^(?!.*/login/).*$"))
        return page

    return do
