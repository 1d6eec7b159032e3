"""Worker liveness: a periodic heartbeat the health endpoint reads, so a stopped worker is noticed."""
from django.core.cache import cache
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

HEARTBEAT_KEY = "collecte:worker-heartbeat"


def record_heartbeat():
    cache.set(HEARTBEAT_KEY, timezone.now().isoformat(), timeout=None)


@db_task()
def heartbeat():
    record_heartbeat()


@db_periodic_task(crontab(minute="*"))
def periodic_heartbeat():
    record_heartbeat()


def last_heartbeat():
    return cache.get(HEARTBEAT_KEY)
