"""Who is calling: a personal API token (`Authorization: Bearer clt_…`), or the browser session of a logged-in user
(so the browsable docs at /api/v1/docs work). The authenticated user ends up in `request.auth`."""
from django.conf import settings
from django.utils.translation import gettext as _
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from collecte.accounts.models import ApiToken

from .errors import ApiError, InvalidCredentials

SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")


class ApiTokenAuth(HttpBearer):
    def __call__(self, request):
        header = request.headers.get(self.header)
        if not header:
            return None  # no token: let the session have a go
        scheme, _sep, raw = header.partition(" ")
        if scheme.lower() != "bearer":
            # ninja's HttpBearer would silently fall back to the session; a client that sends credentials we
            # cannot read deserves to be told so.
            raise InvalidCredentials()
        return self.authenticate(request, raw.strip())

    def authenticate(self, request, token):
        user = ApiToken.authenticate(token)
        if user is None:
            # Raising (not returning None) stops ninja from trying the session with a bad token in hand.
            raise InvalidCredentials()
        request.user = user  # code reading request.user sees the token's owner, not AnonymousUser
        return user


class SessionAuth(APIKeyCookie):
    """Django's session, with the CSRF check only when the session actually authenticates the request.

    ninja's own SessionAuth checks CSRF before knowing whether a session exists, so a token-less POST from a
    script would get a confusing 403 about CSRF instead of a 401.
    """

    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request):
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request, key):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if self._needs_csrf(request) and check_csrf(request) is not None:
            raise ApiError(403, _("Vérification CSRF échouée : rechargez la page et réessayez, ou utilisez un "
                                  "jeton d'API."), "csrf_failed")
        return user

    def _needs_csrf(self, request):
        return self.csrf and request.method not in SAFE_METHODS and not getattr(request, "_ninja_csrf_exempt", False)


# Token first: a request carrying a token is judged on it alone.
API_AUTH = [ApiTokenAuth(), SessionAuth()]
