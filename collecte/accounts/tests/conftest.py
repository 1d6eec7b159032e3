import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def outbox_backend(settings):
    """Keep sent mail in the OutboxMessage table, as the embedded default does (pytest-django swaps in locmem);
    no SMS backend; and a fast password hasher, since every persona has a password (Argon2 is checked in
    accounts/tests/test_password_hashing.py)."""
    settings.EMAIL_BACKEND = "collecte.outbound.backends.OutboxEmailBackend"
    settings.EMAIL_HOST = None
    settings.SMS_BACKEND = None
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def default_language():
    """Requests leave their language active in the thread (LocaleMiddleware never deactivates it); start and end
    every test in the default language, French."""
    translation.deactivate()
    yield
    translation.deactivate()
