from collecte.outbound.backends import sms_configured
from collecte.tenancy.access import primary_membership


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    membership = primary_membership(user)
    from collecte.web.views.outbox import can_open_outbox

    return {"nav_membership": membership, "sms_configured": sms_configured(),
            "can_open_outbox": can_open_outbox(user)}
