"""Run the real `collecte` command in a separate process, against its own data dir and database."""
import os
import socket
import subprocess
import sys
import uuid
from contextlib import contextmanager

import psycopg
from django.conf import settings


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def instance_env(tmp_path):
    """Environment for a separate collecte: a temp data dir, and SQLite or a fresh PostgreSQL database
    (whichever engine this test run uses), dropped afterwards."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(COLLECTE_DATA_DIR=str(tmp_path / "data"), COLLECTE_SECRET_KEY="test-" + uuid.uuid4().hex,
               PYTHONUNBUFFERED="1")
    env.pop("DATABASE_URL", None)
    dbname = None
    if not settings.IS_SQLITE:
        db = settings.DATABASES["default"]
        dbname = f"collecte_proc_{uuid.uuid4().hex[:10]}"
        with _admin_connection(db) as conn:
            conn.execute(f'CREATE DATABASE "{dbname}"')
        password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
        env["DATABASE_URL"] = (f"postgres://{db.get('USER') or ''}{password}@{db.get('HOST') or 'localhost'}:"
                               f"{db.get('PORT') or 5432}/{dbname}")
    try:
        yield env
    finally:
        if dbname:
            with _admin_connection(settings.DATABASES["default"]) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


def _admin_connection(db):
    return psycopg.connect(host=db.get("HOST") or "localhost", port=db.get("PORT") or 5432,
                           user=db.get("USER") or None, password=db.get("PASSWORD") or None,
                           dbname="postgres", autocommit=True)


def collecte(env, *args, timeout=120, check=True):
    if args and args[0] == "shell":
        args = ("shell", "--no-imports", *args[1:])  # Django 5.2's shell otherwise prints what it auto-imported
    result = subprocess.run([sys.executable, "-m", "collecte.cli", *args], env=env, capture_output=True,
                            text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"collecte {' '.join(args)} failed ({result.returncode}):\n{result.stderr[-3000:]}")
    return result


def start(env, *args):
    return subprocess.Popen([sys.executable, "-m", "collecte.cli", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
