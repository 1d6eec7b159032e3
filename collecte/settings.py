"""collecte settings: one file, configured from environment variables.

COLLECTE_DATA_DIR     where the SQLite database, the job queue and stored files live (default ./var)
DATABASE_URL          a PostgreSQL URL for a real deployment (default: SQLite in the data dir)
COLLECTE_SECRET_KEY   signing key; generated once into the data dir when unset
COLLECTE_BASE_URL     the public URL used in emailed links (default http://localhost:<web port>)
COLLECTE_INBOUND_DOMAIN, COLLECTE_WEB_PORT, COLLECTE_SMTP_PORT: see DESIGN.md
EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS, DEFAULT_FROM_EMAIL: outgoing mail
COLLECTE_SMS_BACKEND  dotted path of an SMS backend; unset means messages wait in the outbox
"""
import os
import secrets
import sys
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
TESTING = "pytest" in sys.modules or os.environ.get("COLLECTE_TESTING") == "1"


def env(name, default=None):
    value = os.environ.get(name)
    return default if value in (None, "") else value


def env_bool(name, default=False):
    return env(name, str(default)).strip().lower() in ("1", "true", "yes", "on")


# Tests keep their files apart from a running instance's data.
DATA_DIR = Path(env("COLLECTE_DATA_DIR", "./var")).resolve() / ("test" if TESTING else "")
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key():
    """A key given in the environment wins; otherwise one is made once and kept in the data dir."""
    if env("COLLECTE_SECRET_KEY"):
        return env("COLLECTE_SECRET_KEY")
    path = DATA_DIR / "secret_key"
    if not path.exists():
        # Web, worker and smtpd may start at once: write aside, then link into place, so that exactly one
        # key wins and nobody reads a half-written file.
        tmp = DATA_DIR / f".secret_key.{os.getpid()}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(50))
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("COLLECTE_DEBUG", False)
WEB_PORT = int(env("COLLECTE_WEB_PORT", "8000"))
SMTP_PORT = int(env("COLLECTE_SMTP_PORT", "2525"))
INBOUND_DOMAIN = env("COLLECTE_INBOUND_DOMAIN", "localhost")
BASE_URL = env("COLLECTE_BASE_URL", f"http://localhost:{WEB_PORT}").rstrip("/")
_BASE_HOST = BASE_URL.split("://", 1)[-1].split("/", 1)[0].rsplit(":", 1)[0]
ALLOWED_HOSTS = [h.strip() for h in env("COLLECTE_ALLOWED_HOSTS", f"{_BASE_HOST},localhost,127.0.0.1,[::1]").split(",")]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in env("COLLECTE_CSRF_TRUSTED_ORIGINS", BASE_URL).split(",")]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "huey.contrib.djhuey",
    "collecte.accounts",
    "collecte.tenancy",
    "collecte.intake",
    "collecte.ledger",
    "collecte.expenses",
    "collecte.outbound",
    "collecte.web",
    "collecte.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "collecte.urls"
ASGI_APPLICATION = "collecte.asgi.application"
WSGI_APPLICATION = "collecte.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "collecte.web.context.navigation",
            ],
        },
    }
]

# Database: SQLite in WAL mode in the data dir unless DATABASE_URL names another.
DATABASE_URL = env("DATABASE_URL", f"sqlite:///{DATA_DIR / 'collecte.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0 if TESTING else 60)}
IS_SQLITE = DATABASES["default"]["ENGINE"].endswith("sqlite3")
if not IS_SQLITE and not TESTING:
    # Under ASGI each request may run in another thread, so persistent connections are not reused: every request
    # opened its own PostgreSQL session (bench/web.py counted one per request). A pool per process instead.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1, "max_size": int(env("COLLECTE_DB_POOL_SIZE", "10")), "timeout": 20}
if IS_SQLITE:
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets the web, SMTP and worker processes read while one writes; IMMEDIATE avoids
        # "database is locked" upgrades from read to write in the middle of a transaction.
        # synchronous=FULL: a commit survives a power cut, which a 250 to an SMTP sender promises.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=10000;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Jobs: huey with a queue beside the data (SQLite) or in PostgreSQL.
HUEY_IMMEDIATE = env_bool("COLLECTE_HUEY_IMMEDIATE", TESTING)
# An idle consumer polls at most every half second, so a document shows up within a second of its 250.
CONSUMER = {"workers": int(env("COLLECTE_WORKER_THREADS", "2")), "worker_type": "thread",
            "initial_delay": 0.05, "backoff": 1.2, "max_delay": 0.5}
if IS_SQLITE:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "collecte",
        "filename": str(DATA_DIR / "huey.sqlite3"),
        "immediate": HUEY_IMMEDIATE,
        "consumer": CONSUMER,
    }
else:
    _db = DATABASES["default"]
    HUEY = {
        "huey_class": "huey.PostgresHuey",
        "name": "collecte",
        "connection": {
            "dsn": (f"host={_db.get('HOST') or 'localhost'} port={_db.get('PORT') or 5432} "
                    f"dbname={_db['NAME']} user={_db.get('USER') or ''} password={_db.get('PASSWORD') or ''}"),
        },
        "immediate": HUEY_IMMEDIATE,
        "consumer": CONSUMER,
    }

# Intake: the SMTP listener and the processing of what arrives.
SMTP_HOSTNAME = env("COLLECTE_SMTP_HOSTNAME", INBOUND_DOMAIN)
SMTP_MAX_MESSAGE_BYTES = int(env("COLLECTE_SMTP_MAX_BYTES", str(30 * 1024 * 1024)))
SMTP_TLS_CERT = env("COLLECTE_SMTP_TLS_CERT")
SMTP_TLS_KEY = env("COLLECTE_SMTP_TLS_KEY")
INTAKE_RATE_PER_MINUTE = float(env("COLLECTE_INTAKE_RATE_PER_MINUTE", "120"))  # per folder, per listener
INTAKE_RATE_BURST = float(env("COLLECTE_INTAKE_RATE_BURST", "600"))
INTAKE_MAX_ATTEMPTS = int(env("COLLECTE_INTAKE_MAX_ATTEMPTS", "5"))
# IMAP servers on private or loopback addresses (off: a folder admin must not reach the server's own network).
IMAP_ALLOW_PRIVATE_HOSTS = env_bool("COLLECTE_IMAP_ALLOW_PRIVATE_HOSTS", False)
# DKIM/SPF need DNS; tests give the checker a fixed zone instead.
SENDER_AUTH_CHECKS = env_bool("COLLECTE_SENDER_AUTH_CHECKS", not TESTING)

# Files through Django's storage API: a local folder by default.
MEDIA_ROOT = str(DATA_DIR / "files")
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
STATIC_URL = "/static/"
STATIC_ROOT = str(DATA_DIR / "static")
Path(STATIC_ROOT).mkdir(exist_ok=True)  # whitenoise warns at every start when it is missing
WHITENOISE_USE_FINDERS = True

CACHES = {
    # A database cache is shared by every process, so the login rate limit holds across workers.
    "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "collecte_cache"},
}

AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24
LOGIN_RATE_LIMIT = int(env("COLLECTE_LOGIN_RATE_LIMIT", "5"))  # failures per email and per IP ...
LOGIN_RATE_WINDOW = int(env("COLLECTE_LOGIN_RATE_WINDOW", "900"))  # ... within this many seconds
INVITATION_MAX_AGE_DAYS = 7

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = BASE_URL.startswith("https://")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Europe/Paris"
USE_TZ = True

# Outgoing mail: every message is kept in the outbox; it is also sent by SMTP when EMAIL_HOST is set.
EMAIL_BACKEND = "collecte.outbound.backends.OutboxEmailBackend"
EMAIL_HOST = env("EMAIL_HOST")
EMAIL_PORT = int(env("EMAIL_PORT", "587"))
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", f"collecte <no-reply@{INBOUND_DOMAIN}>")
SMS_BACKEND = env("COLLECTE_SMS_BACKEND")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "collecte.lib.redact.RedactSecretsFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact"]}},
    "root": {"handlers": ["console"], "level": env("COLLECTE_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # aiosmtpd logs every SMTP command at INFO: a dozen lines per message, and a real cost at volume.
        "mail.log": {"level": "WARNING"},
    },
}

# Bulk attach takes hundreds of PDFs in one drop, and its review form holds three fields per file.
DATA_UPLOAD_MAX_NUMBER_FILES = 1000
DATA_UPLOAD_MAX_NUMBER_FIELDS = 5000
