"""Passwords are stored with Argon2, the product setting (the rest of the suite hashes fast)."""
from django.conf import settings as django_settings
from django.contrib.auth.hashers import identify_hasher

from collecte import settings as product_settings


def test_it_stores_passwords_with_argon2(db, django_user_model, settings):
    settings.PASSWORD_HASHERS = product_settings.PASSWORD_HASHERS
    user = django_user_model.objects.create_user("argon@example.fr", "a-long-password-42")
    assert identify_hasher(user.password).algorithm == "argon2"
    assert user.check_password("a-long-password-42")
    assert django_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
