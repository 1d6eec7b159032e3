"""Personas shared by every test: firm owner, collaborators (assigned and not), folder admin, approver,
standard user and an outsider from another firm. Built with the same actions the product uses."""
import pytest

from collecte.tenancy import actions
from collecte.tenancy.models import Firm, FolderMember, Membership

PASSWORD = "correct-horse-battery-9"


@pytest.fixture(autouse=True)
def default_language():
    """Requests leave their language active in the thread (LocaleMiddleware never deactivates it); start and end
    every test in the default language, French."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture
def product_mail(settings):
    """Sent mail lands in the OutboxMessage table as in the embedded default (pytest-django swaps in locmem);
    no SMTP relay and no SMS backend."""
    settings.EMAIL_BACKEND = "collecte.outbound.backends.OutboxEmailBackend"
    settings.EMAIL_HOST = None
    settings.SMS_BACKEND = None


@pytest.fixture(autouse=True)
def imap_on_loopback(settings):
    """The tests' Dovecot listens on 127.0.0.1; the refusal of internal hosts has its own test."""
    settings.IMAP_ALLOW_PRIVATE_HOSTS = True


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # `world` sets eight passwords; with Argon2 that is seconds per test. The product's Argon2 setting is checked
    # on its own in collecte/accounts/tests/test_password_hashing.py.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def make_user(django_user_model, email, first="Test", last="User"):
    return django_user_model.objects.create_user(email, PASSWORD, first_name=first, last_name=last)


class World:
    """One firm with two folders, every persona, and an outsider firm with its own folder."""


@pytest.fixture
def world(db, django_user_model):
    w = World()
    w.firm = Firm.objects.create(name="Cabinet Alpha")
    w.owner = make_user(django_user_model, "owner@alpha.example", "Olga", "Owner")
    w.collaborator = make_user(django_user_model, "collab@alpha.example", "Colin", "Collab")
    w.unassigned = make_user(django_user_model, "unassigned@alpha.example", "Ursula", "Unassigned")
    w.owner_membership = Membership.objects.create(firm=w.firm, user=w.owner, role=Membership.Role.OWNER)
    w.collab_membership = Membership.objects.create(firm=w.firm, user=w.collaborator)
    w.unassigned_membership = Membership.objects.create(firm=w.firm, user=w.unassigned)
    w.folder = actions.create_client_folder(w.owner_membership, "Boulangerie Martin", "C", [w.collab_membership])
    w.other_folder = actions.create_client_folder(w.owner_membership, "Garage du Centre", "G")
    w.admin = make_user(django_user_model, "admin@client.example", "Adam", "Admin")
    w.approver = make_user(django_user_model, "approver@client.example", "Apolline", "Approver")
    w.standard = make_user(django_user_model, "standard@client.example", "Stan", "Standard")
    for user, role in ((w.admin, "admin"), (w.approver, "approver"), (w.standard, "standard")):
        setattr(w, f"{role}_member", FolderMember.objects.create(folder=w.folder, user=user, role=role))
    w.outsider_firm = Firm.objects.create(name="Cabinet Beta")
    w.outsider = make_user(django_user_model, "outsider@beta.example", "Otto", "Outsider")
    Membership.objects.create(firm=w.outsider_firm, user=w.outsider, role=Membership.Role.OWNER)
    w.outsider_folder = actions.create_client_folder(w.outsider.memberships.get(), "Beta Client")
    return w


@pytest.fixture
def client_for(client):
    """A logged-in test client for a persona: client_for(world.owner)."""
    from django.test import Client

    def make(user):
        c = Client()
        c.force_login(user)
        return c

    return make
