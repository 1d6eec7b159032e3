import pytest


@pytest.fixture(autouse=True)
def _product_mail(product_mail):
    """Every test here reads sent mail from the outbox table (root conftest)."""
