"""`collecte createfirm`: the first firm and its owner on a real deployment."""
import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email
from django.db import transaction

from collecte.tenancy.models import Firm, Membership

User = get_user_model()


class Command(BaseCommand):
    help = "Create a firm and its owner; prints the owner's initial password unless one is given."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="the firm's name")
        parser.add_argument("--owner-email", required=True)
        parser.add_argument("--owner-password", help="initial password (generated when omitted)")
        parser.add_argument("--currency", default="EUR")
        parser.add_argument("--language", default="fr", choices=["fr", "en"])
        parser.add_argument("--timezone", default="Europe/Paris")

    @transaction.atomic
    def handle(self, *args, name, owner_email, owner_password, currency, language, timezone, **options):
        try:
            validate_email(owner_email)
        except Exception:
            raise CommandError(f"{owner_email!r} is not a valid email address") from None
        if Firm.objects.filter(name=name).exists():
            raise CommandError(f"A firm named {name!r} exists already")
        password = owner_password or secrets.token_urlsafe(12)
        user = User.objects.filter(email=User.objects.normalize_email(owner_email)).first()
        if user is None:
            user = User.objects.create_user(owner_email, password)
        else:
            password = None  # an existing person keeps their password
        firm = Firm.objects.create(name=name, base_currency=currency, language=language, timezone=timezone)
        Membership.objects.create(firm=firm, user=user, role=Membership.Role.OWNER)
        self.stdout.write(f"Firm {firm.name} (id {firm.pk}) created; owner {user.email}")
        if password and not owner_password:
            self.stdout.write(f"Initial password: {password}  (change it from the login page's reset link)")
