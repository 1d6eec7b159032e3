"""REST API v1, mounted at /api/v1/ by collecte/urls.py. OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs."""
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Router

from . import banking, documents, expenses, folders, forecast, invitations, invoices, members, messages
from . import analytics, reconciliation
from . import accounting
from .auth import API_AUTH
from .errors import ErrorOut, install_error_handlers, not_found

api = NinjaAPI(
    title="collecte API", version="1", urls_namespace="api", auth=API_AUTH,
    description="Personal API tokens (profile page) go in `Authorization: Bearer <token>`. "
                'Errors are JSON: `{"detail": "<sentence>", "code": "<machine_code>"}`.')
install_error_handlers(api)

api.add_router("/folders", folders.router)
api.add_router("/folders", members.router)
api.add_router("", invitations.router)
api.add_router("", messages.router)
api.add_router("", documents.router)
api.add_router("", invoices.router)
api.add_router("", forecast.router)
api.add_router("", banking.router)
api.add_router("", expenses.router)
api.add_router("", reconciliation.router)
api.add_router("", analytics.router)
api.add_router("", accounting.router)

# Unknown addresses under /api/v1/ answer in JSON like every other error, not with the HTML 404 page.
# Django tries URL patterns in order, so this router must stay the last one added.
fallback = Router(auth=None)


@fallback.api_operation(["GET", "POST", "PUT", "PATCH", "DELETE"], "/{path:rest}", include_in_schema=False,
                        response={404: ErrorOut})
def unknown_path(request, rest: str):
    raise not_found(_("Cette adresse de l'API n'existe pas."))


api.add_router("", fallback)
