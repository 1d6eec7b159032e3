"""Sending a "choose your password" link: one way, for the reset page and for invitations alike."""
from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm

EMAIL_TEMPLATE = "accounts/password_reset_email.txt"
SUBJECT_TEMPLATE = "accounts/password_reset_subject.txt"


def send_password_link(form: PasswordResetForm, request):
    """Email the link to the form's address (if an account has it). The link is built from the configured public
    URL, never from the request's Host header: a visitor chooses that header, and a link pointing at their site
    would hand them the token."""
    form.save(domain_override=settings.BASE_URL.split("://", 1)[-1].split("/", 1)[0],
              use_https=settings.BASE_URL.startswith("https://"), request=request,
              email_template_name=EMAIL_TEMPLATE, subject_template_name=SUBJECT_TEMPLATE)
