import pytest


@pytest.fixture(autouse=True)
def outbox_backend(settings):
    """Keep sent mail in the OutboxMessage table, as the embedded default does (pytest-django swaps in locmem);
    no SMS backend; and a fast password hasher, since every persona has a password (Argon2 is checked once,
    in accounts/tests/test_login.py)."""
    settings.EMAIL_BACKEND = "collecte.outbound.backends.OutboxEmailBackend"
    settings.EMAIL_HOST = None
    settings.SMS_BACKEND = None
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
