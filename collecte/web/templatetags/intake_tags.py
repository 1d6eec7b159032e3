"""Template helpers for what arrived: French labels for the intake's stable codes, status badges, the forwarding
banner and the upload form of the folder page."""
from datetime import timedelta

from django import template
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from collecte.intake.actions import display_flags
from collecte.intake.models import Document, InboundMessage
from collecte.tenancy import access

register = template.Library()

BANNER_DAYS = 30
BANNER_MAX = 5

# The MIME walk records why it left a part out with a stable code (collecte/intake/files.py); people read these.
SKIP_REASONS = {
    "inline_logo": _("logo ou image de signature"),
    "tiny_image": _("image minuscule (icône, puce)"),
    "tracking_pixel": _("pixel de suivi"),
    "signature": _("signature électronique (.p7s)"),
    "calendar": _("invitation de calendrier"),
    "vcard": _("carte de visite (vCard)"),
    "unsupported_type": _("type de fichier non pris en charge"),
    "empty": _("fichier vide"),
    "zip_limit": _("archive trop volumineuse ou suspecte"),
    "nesting_limit": _("trop de niveaux imbriqués (messages transférés, archives)"),
    "unreadable": _("partie illisible"),
    "no_attachment": _("aucune pièce jointe"),
}

# "encrypted" is left out: the status says it while the PDF is locked, and "déverrouillé" once it is not.
FLAGS = {
    "unlocked": _("déverrouillé"),
    "repaired": _("réparé"),
    "corrupt": _("endommagé"),
}

# DKIM/SPF results (collecte/intake/mailauth.py): a warning on the message, never a reason to drop it.
AUTH_WARNINGS = {
    "dkim_fail": _("signature DKIM invalide"),
    "dkim_temperror": _("signature DKIM non vérifiable pour l'instant"),
    "spf_fail": _("SPF : expéditeur non autorisé par son domaine"),
    "spf_softfail": _("SPF : expéditeur douteux pour son domaine"),
    "spf_permerror": _("SPF : enregistrement du domaine invalide"),
    "spf_temperror": _("SPF non vérifiable pour l'instant"),
}

MESSAGE_BADGES = {
    InboundMessage.Status.DOCUMENTS: "ok",
    InboundMessage.Status.NO_DOCUMENT: "warn",
    InboundMessage.Status.HELD: "warn",
    InboundMessage.Status.REJECTED: "err",
    InboundMessage.Status.FAILED: "err",
    InboundMessage.Status.FORWARDING: "info",
}

DOCUMENT_BADGES = {
    Document.Status.TO_EXTRACT: "ok",
    Document.Status.NEEDS_PASSWORD: "warn",
    Document.Status.UNREADABLE: "err",
}


@register.filter
def skip_reason(code):
    """A French sentence for a skip code; an unknown code (a newer walk) is shown as it is."""
    return SKIP_REASONS.get(code, code)


@register.filter
def skip_reasons(codes):
    """"tiny_image, vcard" (a message's status_reason when nothing was kept) → readable reasons."""
    return ", ".join(str(skip_reason(code.strip())) for code in (codes or "").split(",") if code.strip())


@register.filter
def auth_warning(code):
    return AUTH_WARNINGS.get(code, code)


@register.filter
def flag_labels(document):
    return [FLAGS.get(flag, flag) for flag in display_flags(document) if flag != "encrypted"]


@register.filter
def message_badge(status):
    return MESSAGE_BADGES.get(status, "")


@register.filter
def document_badge(status):
    return DOCUMENT_BADGES.get(status, "")


@register.filter
def web_link(url):
    """Only http(s) links from a received email become clickable: a forged confirmation could carry javascript:."""
    url = (url or "").strip()
    return url if url.lower().startswith(("https://", "http://")) else ""


@register.inclusion_tag("web/_forwarding_banner.html")
def forwarding_banner(folder_access):
    since = timezone.now() - timedelta(days=BANNER_DAYS)
    confirmations = (access.visible_forwarding_confirmations(folder_access).filter(received_at__gte=since)
                     .order_by("-received_at", "-pk")[:BANNER_MAX])
    return {"confirmations": list(confirmations)}


@register.inclusion_tag("web/_upload_form.html", takes_context=True)
def upload_form(context, folder, form=None):
    from collecte.web.views.documents import UploadForm

    return {"folder": folder, "form": form or UploadForm(), "csrf_token": context.get("csrf_token")}
