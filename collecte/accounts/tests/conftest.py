import pytest


@pytest.fixture(autouse=True)
def outbox_backend(settings):
    """Keep sent mail in the OutboxMessage table, as the embedded default does (pytest-django swaps in locmem)."""
    settings.EMAIL_BACKEND = "collecte.outbound.backends.OutboxEmailBackend"
    settings.EMAIL_HOST = None
    settings.SMS_BACKEND = None
