"""The embedded default as a new user runs it: migrate, demo, serve (web + worker), in real processes."""
import json
import signal
import time
import urllib.error
import urllib.request

import pytest

from tests.processes import collecte, free_port, instance_env, start

pytestmark = pytest.mark.django_db(transaction=True)


def http_get(url, token=None):
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def wait_for(predicate, timeout=60, interval=0.3):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return None


@pytest.fixture
def instance(tmp_path):
    with instance_env(tmp_path) as env:
        collecte(env, "migrate", "--no-input")
        yield env


def demo(env):
    return json.loads(collecte(env, "demo", "--json").stdout)


def test_it_prints_the_demo_as_designed(instance):
    data = demo(instance)
    assert set(data) == {"url", "users", "folders"}
    assert {u["role"] for u in data["users"]} == {"owner", "collaborator", "admin", "approver", "standard"}
    for user in data["users"]:
        assert set(user) == {"email", "password", "role", "folder_ids", "api_token"}
    assert len(data["folders"]) == 2
    for folder in data["folders"]:
        assert set(folder["addresses"]) == {"purchases", "sales", "purchases_split", "sales_split"}
        assert all(a.endswith("@localhost") for a in folder["addresses"].values())


def test_it_creates_nothing_twice(instance):
    first, second = demo(instance), demo(instance)
    assert [f["id"] for f in first["folders"]] == [f["id"] for f in second["folders"]]
    assert first["folders"] == second["folders"]
    assert [(u["email"], u["password"], u["folder_ids"]) for u in first["users"]] == \
        [(u["email"], u["password"], u["folder_ids"]) for u in second["users"]]
    counts = collecte(instance, "shell", "-c", "from collecte.tenancy.models import *; from collecte.accounts.models "
                      "import User; print(Firm.objects.count(), ClientFolder.objects.count(), User.objects.count(), "
                      "FolderMember.objects.count())").stdout.split()
    assert counts == ["1", "2", "5", "3"]


def test_it_serves_login_api_and_runs_the_worker(instance):
    data = demo(instance)
    port = free_port()
    server = start(instance, "serve", "--port", str(port))
    base = f"http://127.0.0.1:{port}"
    try:
        assert wait_for(lambda: _status(base + "/login/") == 200), _output(server)
        status, body = http_get(base + "/login/")
        assert "Connexion" in body
        owner = next(u for u in data["users"] if u["role"] == "owner")
        status, body = http_get(base + "/api/v1/folders", owner["api_token"])
        assert status == 200, body
        assert {f["id"] for f in json.loads(body)} == set(owner["folder_ids"])
        # The worker of `serve` runs queued jobs: enqueue one and wait for its effect.
        collecte(instance, "shell", "-c", "from collecte.web.tasks import heartbeat; heartbeat()")
        beat = wait_for(lambda: json.loads(http_get(base + "/healthz")[1])["worker"] == "ok", timeout=60)
        assert beat, _output(server)
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
    assert wait_for(lambda: _status(base + "/login/") is None, timeout=10), "web kept running after serve stopped"


def test_it_rejects_a_token_of_another_firm(instance):
    data = demo(instance)
    outsider_token = collecte(instance, "shell", "-c", (
        "from collecte.tenancy.models import Firm, Membership; from collecte.accounts.models import User, ApiToken; "
        "f = Firm.objects.create(name='Other'); u = User.objects.create_user('x@other.example', 'pw-123456789'); "
        "Membership.objects.create(firm=f, user=u, role='owner'); print(ApiToken.issue(u, 't')[1])")).stdout.strip()
    port = free_port()
    server = start(instance, "serve", "--port", str(port))
    base = f"http://127.0.0.1:{port}"
    try:
        assert wait_for(lambda: _status(base + "/login/") == 200), _output(server)
        for folder in data["folders"]:
            status, body = http_get(f"{base}/api/v1/folders/{folder['id']}", outsider_token)
            assert status == 404
            assert json.loads(body)["code"] == "not_found"
        assert json.loads(http_get(base + "/api/v1/folders", outsider_token)[1]) == []
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)


def _status(url):
    try:
        return http_get(url)[0]
    except OSError:
        return None


def _accepts(port):
    import socket

    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
            return sock.recv(512).startswith(b"220")
    except OSError:
        return False


def _output(process):
    if process.poll() is None:
        return "(still running)"
    return process.stdout.read()[-3000:]


def test_it_takes_an_invoice_sent_with_swaks_as_the_readme_says(instance, tmp_path):
    """The issue's "done when": swaks to the purchases address gives a document; an unknown address gets 550."""
    import shutil
    import subprocess

    if not shutil.which("swaks"):
        pytest.skip("swaks is not installed (make test installs it)")
    data = demo(instance)
    pdf = tmp_path / "facture.pdf"
    import pikepdf

    document = pikepdf.new()
    document.add_blank_page()
    document.save(pdf)
    port, smtp_port = free_port(), free_port()
    server = start(instance, "serve", "--port", str(port), "--smtp-port", str(smtp_port))
    purchases = data["folders"][0]["addresses"]["purchases"]
    try:
        assert wait_for(lambda: _status(f"http://127.0.0.1:{port}/login/") == 200), _output(server)
        # serve starts web, listener and worker side by side: the web answering says nothing of the listener.
        assert wait_for(lambda: _accepts(smtp_port)), _output(server)

        def swaks(to, *extra):
            return subprocess.run(["swaks", "--server", f"127.0.0.1:{smtp_port}", "--to", to, *extra],
                                  capture_output=True, text=True, timeout=60)

        sent = swaks(purchases, "--attach", f"@{pdf}")
        assert sent.returncode == 0, sent.stdout[-2000:]
        assert "250 2.0.0 OK" in sent.stdout
        count = ("from collecte.intake.models import Document; "
                 f"print(Document.objects.filter(folder_id={data['folders'][0]['id']}, filename='facture.pdf').count())")
        assert wait_for(lambda: collecte(instance, "shell", "-c", count).stdout.strip() == "1", timeout=60)
        # Read by the worker, it waits in the review queue beside the demo's two sample invoices.
        queued = ("from collecte.ledger.models import Invoice; print(sorted(Invoice.objects.filter(folder_id="
                  f"{data['folders'][0]['id']}, status='pending_review').values_list('document__filename', flat=True)))")
        expected = str(sorted(["facture.pdf", "facture-PL-2026-0457.pdf", "minoterie-F26-1187.pdf"]))
        assert wait_for(lambda: collecte(instance, "shell", "-c", queued).stdout.strip() == expected, timeout=60)
        refused = swaks("nobody.abcdefghjkmnpq@localhost")
        assert "550 5.1.1" in refused.stdout
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
