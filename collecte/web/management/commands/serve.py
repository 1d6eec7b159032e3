"""`collecte serve`: web, SMTP listener and worker together; stopped together."""
import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand


def process_commands(host, port, smtp_port):
    python = sys.executable
    return {
        "smtpd": [python, "-m", "collecte.cli", "smtpd", "--host", host, "--port", str(smtp_port)],
        "web": [python, "-m", "uvicorn", "collecte.asgi:application", "--host", host, "--port", str(port),
                "--no-access-log", "--lifespan", "off"],
        "worker": [python, "-m", "collecte.cli", "run_huey", "--quiet"],
    }


class Command(BaseCommand):
    help = "Start the web server, the SMTP listener and the job worker together; Ctrl-C stops them all."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("COLLECTE_WEB_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=settings.WEB_PORT)
        parser.add_argument("--smtp-port", type=int, default=settings.SMTP_PORT)

    def handle(self, *args, host, port, smtp_port, **options):
        children = {name: subprocess.Popen(cmd) for name, cmd in process_commands(host, port, smtp_port).items()}
        self.stdout.write(f"collecte: web on http://{host}:{port}/ , SMTP on {host}:{smtp_port}, worker started "
                          "(Ctrl-C stops everything)")
        stopping = []

        def stop(signum, frame):
            stopping.append(signum)

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        exit_code = 0
        while not stopping:
            dead = [(n, p.returncode) for n, p in children.items() if p.poll() is not None]
            if dead:
                name, code = dead[0]
                self.stderr.write(f"collecte: {name} stopped (exit {code}); stopping the others")
                exit_code = code or 1
                break
            time.sleep(0.5)
        _terminate(children.values())
        sys.exit(exit_code)


def _terminate(processes, grace=10):
    for p in processes:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    for p in processes:
        try:
            p.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
