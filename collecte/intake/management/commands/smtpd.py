"""`collecte smtpd`: the SMTP listener for the dedicated addresses."""
import os

from django.conf import settings
from django.core.management.base import BaseCommand

from collecte.intake.smtpd import serve_forever


class Command(BaseCommand):
    help = "Receive mail for the dedicated addresses (an MX; no relay, no AUTH)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("COLLECTE_SMTP_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=settings.SMTP_PORT)

    def handle(self, *args, host, port, **options):
        self.stdout.write(f"collecte smtpd on {host}:{port}")
        try:
            serve_forever(host, port)
        except KeyboardInterrupt:
            pass
