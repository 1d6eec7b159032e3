"""The outbox: every email and SMS collecte sends is kept here, with what happened to it."""
from django.db import models
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
