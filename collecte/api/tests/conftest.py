"""API test fixtures: clients holding real personal tokens (ApiToken.issue), as a script would."""
import pytest

from collecte.accounts.models import ApiToken

from .helpers import ApiClient


@pytest.fixture
def api_for(db):
    """api_for(world.owner) → an ApiClient holding a fresh token of that user."""

    def make(user):
        _token, raw = ApiToken.issue(user, "tests")
        return ApiClient(raw)

    return make


@pytest.fixture
def anonymous_api():
    return ApiClient()


@pytest.fixture
def outbox_backend(product_mail):
    """The product's email backend, so that sent invitations land in OutboxMessage as in production."""
