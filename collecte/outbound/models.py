"""The outbox: every email and SMS collecte sends is kept here, with what happened to it."""
import re

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        SMS = "sms", _("SMS")

    class Status(models.TextChoices):
        SENT = "sent", _("Envoyé")
        KEPT = "kept", _("Conservé (aucun serveur configuré)")
        FAILED = "failed", _("Échec de l'envoi")

    channel = models.CharField(max_length=8, choices=Channel.choices)
    firm = models.ForeignKey("tenancy.Firm", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    folder = models.ForeignKey("tenancy.ClientFolder", null=True, blank=True, on_delete=models.CASCADE,
                               related_name="+")
    to = models.CharField(_("destinataire"), max_length=500)
    subject = models.CharField(_("objet"), max_length=500, blank=True)
    body = models.TextField(_("message"))
    status = models.CharField(max_length=8, choices=Status.choices)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["firm", "-created_at"]), models.Index(fields=["folder", "-created_at"])]

    def __str__(self):
        return f"{self.channel} → {self.to}: {self.subject or self.body[:40]}"

    # Links that let their holder act as the recipient (invitations, password choice).
    PERSONAL_LINK = re.compile(r"https?://\S*/(?:invitations|password-reset)/\S+")

    @property
    def display_body(self):
        """What the outbox page shows. Once a message really went out, its personal links are masked: the
        recipient has them, and an admin reading the outbox must not be able to use them in their place."""
        if self.status != self.Status.SENT:
            return self.body
        return self.PERSONAL_LINK.sub(gettext("[lien personnel masqué]"), self.body)
