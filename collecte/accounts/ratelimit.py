"""Login rate limit: failures are counted per email and per client IP in the shared cache."""
import hashlib

from django.conf import settings
from django.core.cache import cache


def _key(kind, value):
    return "login-fail:%s:%s" % (kind, hashlib.sha256((value or "").lower().encode()).hexdigest()[:32])


def client_ip(request):
    # Behind a reverse proxy, configure it to set REMOTE_ADDR (e.g. uvicorn --proxy-headers); we never trust
    # X-Forwarded-For ourselves, or anyone could dodge the limit by sending it.
    return request.META.get("REMOTE_ADDR", "")


def _keys(email, ip):
    return [_key("email", email), _key("ip", ip)]


def is_blocked(email, ip):
    # The per-IP budget is wider, so one office behind a NAT is not locked out by one person's typos.
    counts = cache.get_many(_keys(email, ip))
    return (counts.get(_key("email", email), 0) >= settings.LOGIN_RATE_LIMIT
            or counts.get(_key("ip", ip), 0) >= settings.LOGIN_RATE_LIMIT * 4)


def record_failure(email, ip):
    for key in _keys(email, ip):
        if cache.add(key, 1, settings.LOGIN_RATE_WINDOW) is False:
            try:
                cache.incr(key)
            except ValueError:
                cache.set(key, 1, settings.LOGIN_RATE_WINDOW)


def clear(email):
    cache.delete(_key("email", email))
