"""Every API error is `{"detail": <a sentence a person understands>, "code": <machine code>}`.

Exceptions raised by ninja, by the access layer (Http404, PermissionDenied) and by the tenancy actions
(TenancyError) all end here, so an endpoint never builds an error response itself.
"""
import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from ninja import Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError

from collecte.tenancy.actions import TenancyError

log = logging.getLogger(__name__)


class FieldError(Schema):
    field: str | None
    message: str
    type: str


class ErrorOut(Schema):
    detail: str
    code: str
    errors: list[FieldError] | None = None


class ApiError(HttpError):
    """An error we decide on, with its sentence and code; optional per-field errors for 422."""

    def __init__(self, status_code, detail, code, errors=None):
        super().__init__(status_code, detail)
        self.detail, self.code, self.errors = detail, code, errors


class InvalidCredentials(AuthenticationError):
    """A token was sent but is unknown, revoked or malformed: a distinct sentence helps the person fix it."""


def not_found(detail):
    return ApiError(404, detail, "not_found")


def invalid(field, message):
    """A 422 about one field, for checks that span several fields (pydantic cannot place those)."""
    return ApiError(422, f"{field} : {message}", "validation_error",
                    errors=[{"field": field, "message": message, "type": "value_error"}])


# Sentences for the generic statuses ninja raises itself (body that is not JSON, throttling...);
# marked with gettext_noop and translated when used, in the request's language.
STATUS_ERRORS = {
    400: (gettext_noop("La requête est mal formée : le corps doit être un JSON valide."), "bad_request"),
    401: (gettext_noop("Authentification requise."), "not_authenticated"),
    403: (gettext_noop("Accès refusé."), "forbidden"),
    404: (gettext_noop("Ressource introuvable."), "not_found"),
    405: (gettext_noop("Méthode HTTP non autorisée pour cette adresse."), "method_not_allowed"),
    409: (gettext_noop("Cette action est en conflit avec l'état actuel."), "conflict"),
    429: (gettext_noop("Trop de requêtes : réessayez dans un instant."), "throttled"),
}


def error_response(api, request, status, detail, code, errors=None, headers=None):
    body = {"detail": detail, "code": code}
    if errors:
        body["errors"] = errors
    response = api.create_response(request, body, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


# --- ninja validation errors, made readable -------------------------------------------------------------------

def _type_messages():
    # Built per call so that gettext sees the request's language.
    return {
        "missing": _("Ce champ est obligatoire."),
        "string_type": _("Une chaîne de caractères est attendue."),
        "bool_type": _("Une valeur booléenne (true ou false) est attendue."),
        "bool_parsing": _("Une valeur booléenne (true ou false) est attendue."),
        "int_type": _("Un nombre entier est attendu."),
        "int_parsing": _("Un nombre entier est attendu."),
        "model_attributes_type": _("Un objet JSON est attendu."),
        "dict_type": _("Un objet JSON est attendu."),
        "json_invalid": _("Le corps de la requête n'est pas un JSON valide."),
    }


def _field_name(loc):
    """`("body", "payload", "phone")` → "phone"; `("path", "folder_id")` → "folder_id"; the body itself → None."""
    if loc and loc[0] == "body":
        rest = loc[2:]
        return ".".join(str(part) for part in rest) or None
    return str(loc[-1]) if loc else None


def _message(error):
    ctx = error.get("ctx") or {}
    kind = error.get("type", "")
    if kind == "value_error" and "error" in ctx:
        return str(ctx["error"])  # our own validators raise ValueError with a French sentence
    if kind in ("enum", "literal_error"):
        # pydantic says "'a', 'b' or 'c'"; list the values without its English "or".
        return _("Valeur inconnue ; valeurs possibles : %(values)s.") % {
            "values": str(ctx.get("expected", "")).replace(" or ", ", ")}
    if kind == "string_too_long":
        return _("Ce texte est trop long (%(max)s caractères au plus).") % {"max": ctx.get("max_length")}
    return _type_messages().get(kind, _("Valeur invalide."))


def readable_errors(raw_errors):
    return [{"field": _field_name(tuple(e.get("loc", ()))), "message": _message(e), "type": e.get("type", "")}
            for e in raw_errors]


def _detail(errors):
    parts = [f"{e['field']} : {e['message']}" if e["field"] else e["message"] for e in errors]
    return " ".join(parts) or _("La requête n'est pas valide.")


# --- handlers -------------------------------------------------------------------------------------------------

def install_error_handlers(api):
    """Replace ninja's default handlers: the order of registration does not matter (lookup follows the MRO)."""

    @api.exception_handler(ValidationError)
    def on_validation_error(request, exc):
        errors = readable_errors(exc.errors)
        return error_response(api, request, 422, _detail(errors), "validation_error", errors)

    @api.exception_handler(AuthenticationError)
    def on_authentication_error(request, exc):
        if isinstance(exc, InvalidCredentials):
            detail = _("Jeton d'API invalide ou révoqué.")
        else:
            detail = _("Authentification requise : envoyez un jeton d'API dans l'en-tête "
                       "« Authorization: Bearer <jeton> ».")
        # RFC 6750 §3: a 401 names the scheme the client should use.
        return error_response(api, request, 401, detail, "not_authenticated",
                              headers={"WWW-Authenticate": 'Bearer realm="collecte"'})

    @api.exception_handler(ApiError)
    def on_api_error(request, exc):
        return error_response(api, request, exc.status_code, exc.detail, exc.code, exc.errors)

    @api.exception_handler(HttpError)
    def on_http_error(request, exc):
        detail, code = STATUS_ERRORS.get(exc.status_code, (_("La requête n'a pas abouti."), "error"))
        return error_response(api, request, exc.status_code, _(detail), code)

    @api.exception_handler(Http404)
    def on_not_found(request, exc):
        return error_response(api, request, 404, _("Ressource introuvable."), "not_found")

    @api.exception_handler(PermissionDenied)
    def on_forbidden(request, exc):
        return error_response(api, request, 403, _("Cette action est réservée aux administrateurs du dossier."),
                              "forbidden")

    @api.exception_handler(TenancyError)
    def on_tenancy_error(request, exc):
        # A refused state change (already a member, invitation already used...) conflicts with the current state.
        return error_response(api, request, 409, _(exc.message), exc.code)

    @api.exception_handler(Exception)
    def on_unexpected_error(request, exc):
        if settings.DEBUG:
            raise exc  # Django's debug page says more than we could
        # Our error, not the caller's: logged with its traceback, answered in the API's own shape.
        log.error("API error on %s %s", request.method, request.path, exc_info=exc)
        return error_response(api, request, 500, _("Erreur interne du serveur : elle a été enregistrée, "
                                                   "réessayez plus tard."), "server_error")
