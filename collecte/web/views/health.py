"""/healthz for load balancers and monitoring: the database answers, and when the worker last beat."""
from datetime import datetime

from django.db import connection
from django.http import JsonResponse
from django.utils import timezone

from collecte.web.tasks import last_heartbeat

WORKER_LATE_AFTER_SECONDS = 180


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    beat = last_heartbeat()
    age = (timezone.now() - datetime.fromisoformat(beat)).total_seconds() if beat else None
    worker = "ok" if age is not None and age < WORKER_LATE_AFTER_SECONDS else "late"
    return JsonResponse({"database": "ok", "worker": worker, "worker_last_heartbeat": beat})
