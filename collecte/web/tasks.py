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


@db_periodic_task(crontab(minute="17"))
def analyze_sqlite():
    """SQLite keeps no statistics by itself: without them its planner guessed wrong on 100,000 invoices (bench/web.py:
    the list walked a date index through every row). An approximate ANALYZE (a thousand rows per index) each hour
    keeps them current for a few milliseconds. PostgreSQL's autovacuum does this on its own."""
    from django.conf import settings
    from django.db import connection

    if settings.IS_SQLITE:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA analysis_limit=1000")
            cursor.execute("ANALYZE")
