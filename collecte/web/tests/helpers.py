"""Small helpers shared by the web tests."""
import re
from html import unescape
from urllib.parse import urlparse

from django.urls import reverse

from collecte.outbound.models import OutboxMessage

LINK = re.compile(r"https?://\S+/invitations/[^/\s]+/")


def invitation_links(to):
    """Every invitation link emailed to `to`, oldest first, as paths the test client can open."""
    messages = OutboxMessage.objects.filter(channel="email", to=to).order_by("created_at", "pk")
    return [urlparse(m).path for message in messages for m in LINK.findall(message.body)]


def last_invitation_link(to):
    links = invitation_links(to)
    assert links, f"no invitation emailed to {to}"
    return links[-1]


def html(response):
    """The page with entities decoded, so French apostrophes read as typed."""
    return unescape(response.content.decode())


def field_errors(response, name):
    """The errors a bound form in the response context shows next to one field."""
    return list(response.context["form"].errors.get(name, []))


def assert_login_redirect(response):
    assert response.status_code == 302, response.status_code
    assert response["Location"].startswith(reverse("login")), response["Location"]
