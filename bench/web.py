#!/usr/bin/env python3
"""Review pages with many invoices: 100,000 invoices (and 2,000 counterparties) are seeded into the first demo
folder, then the web server (uvicorn, as `collecte serve` starts it) answers real HTTP requests over its socket from
a logged-in firm owner. Per page, after 5 warm-up requests, 200 sequential requests are timed (wall clock, the
response body read, status 200 required). Prints p50, p95 and max per page. Goal: p95 <= 150 ms for every page.

Pages: the review queue (first page and page 50), the invoice list filtered (status, direction, a counterparty
name fragment) and sorted by amount, the review screen of an invoice that came through the product with a real
PDF (uploaded through the API and read by the worker) and that PDF's page image (first request cold, then
cached), and the review screen of 200 different seeded pending invoices (without document); informative: the
analytics page and the customers list (issue 6), within 15 s of requests each. Afterwards, each page
is requested once more in this process with Django's test client to count its SQL queries.

A measurement: exits 0 whether or not the goal is met (PASS/FAIL is printed); --strict exits 1 on FAIL.
Exits 2 when the benchmark cannot run (server not starting, login failing, a page answering other than 200).

    .venv/bin/python bench/web.py [--invoices 100000] [--requests 200] [--keep]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/web.py
"""
import argparse
import http.client
import json
import random
import re
import subprocess
import sys
import time
import urllib.parse
import uuid
from http.cookies import SimpleCookie
from pathlib import Path

import _harness as h

GOAL_P95 = 0.150
BATCH = 5_000
QUEUE_PAGE = 50
INFO_BUDGET = 15  # seconds of requests per informative page
LOG_TAIL = None  # set once the web server runs: the end of its log, for error messages

# --- seeding (runs in a subprocess: `web.py --seed-folder ID ...`) ----------------------------------------------

# (status, share of all invoices); pending_review is split evenly between purchases and sales.
STATUS_MIX = [("pending_review", 20), ("paid", 50), ("unpaid", 15), ("partially_paid", 5), ("credit_available", 3),
              ("credit_used", 4), ("rejected", 3)]
QUERY_FRAGMENT = "Moreau"  # one surname in 50: about 2% of the counterparties carry it
WARNINGS = ["Le total TTC ne correspond pas à HT + TVA.", "Date d'échéance absente.",
            "Numéro de TVA du fournisseur introuvable."]


def seed(folder_id, count, rng_seed=1):
    """Bulk-insert ~2,000 counterparties and `count` invoices into the folder. Returns what the benchmark needs."""
    from datetime import datetime, timedelta
    from datetime import timezone as dt_timezone
    from decimal import Decimal

    from django.db import transaction

    from collecte.extraction.parties import name_key
    from collecte.ledger.models import PURCHASES, SALES, Counterparty, Invoice, number_key

    rng = random.Random(rng_seed)
    started = time.perf_counter()
    now = datetime.now(dt_timezone.utc)
    n_parties = max(20, min(2000, count // 50))
    parties, seen = [], set()
    while len(parties) < n_parties:
        name = h.company_name(rng)
        if name in seen:
            continue
        seen.add(name)
        supplier = len(parties) % 5 < 3  # 60% suppliers, 40% customers, a few both
        siren = f"{rng.randrange(10**8, 10**9)}"
        parties.append(Counterparty(
            folder_id=folder_id, name=name, name_key=name_key(name)[:200],
            vat_id=f"FR{rng.randrange(10, 99)}{siren}" if rng.random() < 0.8 else "", siren=siren,
            is_supplier=supplier or rng.random() < 0.05, is_customer=not supplier or rng.random() < 0.05,
            email=f"compta{len(parties)}@example.com"))
    with transaction.atomic():
        Counterparty.objects.bulk_create(parties, batch_size=BATCH)
    parties = list(Counterparty.objects.filter(folder_id=folder_id).order_by("pk"))
    suppliers = [p for p in parties if p.is_supplier] or parties
    customers = [p for p in parties if p.is_customer] or parties
    parties_done = time.perf_counter()

    statuses = [s for s, share in STATUS_MIX for _ in range(share)]
    validated = {s.value for s in Invoice.VALIDATED}
    sequence = {PURCHASES: 0, SALES: 0}
    made = 0
    with transaction.atomic():
        while made < count:
            rows = []
            for _ in range(min(BATCH, count - made)):
                status = rng.choice(statuses)
                if status == "pending_review":
                    direction = PURCHASES if made % 2 == 0 else SALES
                    created = now - timedelta(days=rng.uniform(0, 120))
                else:
                    direction = PURCHASES if rng.random() < 0.6 else SALES
                    created = now - timedelta(days=rng.uniform(0, 3 * 365))
                party = rng.choice(suppliers if direction == PURCHASES else customers)
                linked = status != "pending_review" or rng.random() < 0.7
                kind = "credit_note" if status.startswith("credit_") or rng.random() < 0.02 else "invoice"
                sequence[direction] += 1
                number = (f"FA-{created.year}-{sequence[SALES]:06d}" if direction == SALES
                          else f"{party.name[:3].upper()}{created.year % 100}-{sequence[PURCHASES]:07d}")
                excl = Decimal(f"{rng.lognormvariate(6, 1.3):.2f}").min(Decimal("250000")).max(Decimal("1.00"))
                tax = (excl * Decimal(rng.choice(["0.2", "0.2", "0.2", "0.1", "0.055"]))).quantize(Decimal("0.01"))
                incl = excl + tax
                paid = {"paid": incl, "credit_used": incl,
                        "partially_paid": (incl * Decimal(rng.uniform(0.1, 0.9))).quantize(Decimal("0.01"))
                        }.get(status, Decimal("0"))
                issue = (created - timedelta(days=rng.uniform(0, 10))).date()
                source = rng.choice(["pdf-text", "pdf-text", "pdf-text", "factur-x", "ocr", "manual", "import"])
                read = {"name": party.name, **({"vat_id": party.vat_id} if party.vat_id else {})}
                rows.append(Invoice(
                    folder_id=folder_id, direction=direction, kind=kind, status=status, number=number,
                    number_key=number_key(number), counterparty=party if linked else None, counterparty_read=read,
                    currency="EUR", total_excl_tax=excl, total_tax=tax, total_incl_tax=incl, amount_paid=paid,
                    issue_date=issue, due_date=issue + timedelta(days=rng.choice([0, 30, 30, 45, 60])),
                    source=source, confidence=round(rng.uniform(0.4, 1.0), 3) if source != "manual" else 1.0,
                    warnings=[rng.choice(WARNINGS)] if rng.random() < 0.1 else [], created_at=created,
                    validated_at=created + timedelta(days=rng.uniform(0.1, 5)) if status in validated else None,
                    rejected_reason="Facture adressée par erreur." if status == "rejected" else ""))
                made += 1
            Invoice.objects.bulk_create(rows, batch_size=BATCH)
    elapsed = time.perf_counter() - started

    pending = Invoice.objects.filter(folder_id=folder_id, status="pending_review")
    counts = {s: Invoice.objects.filter(folder_id=folder_id, status=s).count() for s, _ in STATUS_MIX}
    return {
        "invoices": made, "counterparties": len(parties), "seconds": round(elapsed, 2),
        "counterparty_seconds": round(parties_done - started, 2), "statuses": counts,
        "pending_purchases": pending.filter(direction=PURCHASES).count(),
        "pending_ids": list(pending.order_by("?").values_list("pk", flat=True)[:400]),
        "q": QUERY_FRAGMENT,
        "q_matches": Invoice.objects.filter(folder_id=folder_id, status="unpaid", direction=SALES,
                                            counterparty__name__icontains=QUERY_FRAGMENT).count(),
    }


def seed_main(args):
    import django

    django.setup()
    result = seed(args.seed_folder, args.invoices)
    from django.db import connection

    if connection.vendor == "postgresql":
        # What autovacuum does soon after a bulk load in production (PostgreSQL >= 13 vacuums after inserts too):
        # statistics for the planner, and the visibility map that index-only scans need. Explicit, because the
        # server may run with autovacuum off, and it would not have run yet anyway.
        began = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE ledger_invoice")
            cursor.execute("VACUUM ANALYZE ledger_counterparty")
        result["vacuum_seconds"] = round(time.perf_counter() - began, 2)
    else:
        # What the worker's hourly analyze_sqlite job (collecte/web/tasks.py) does: statistics for the planner.
        from collecte.web.tasks import analyze_sqlite

        began = time.perf_counter()
        analyze_sqlite.call_local()
        result["analyze_seconds"] = round(time.perf_counter() - began, 2)
    print(json.dumps(result))
    return 0


# --- HTTP --------------------------------------------------------------------------------------------------------

class Browser:
    """One keep-alive HTTP/1.1 connection with a cookie jar, like a browser tab."""

    def __init__(self, port):
        self.port = port
        self.cookies = {}
        self.conn = None

    def request(self, method, path, body=None, headers=None):
        """(status, headers, body bytes, seconds) - seconds from sending the request to the body read."""
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            try:
                began = time.perf_counter()
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                elapsed = time.perf_counter() - began
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # The server closed an idle keep-alive connection: reconnect and send again (not timed twice).
                self.close()
                if attempt:
                    raise
        for value in response.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(value)
            for name, morsel in cookie.items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        if response.headers.get("Connection", "").lower() == "close":
            self.close()
        return response.status, response.headers, data, elapsed

    def get(self, path):
        return self.request("GET", path)

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def login(self, email, password):
        status, _, body, _ = self.get("/login/")
        if status != 200:
            raise h.BenchError(f"GET /login/ answered {status}")
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
        if not match or "csrftoken" not in self.cookies:
            raise h.BenchError("GET /login/: no csrfmiddlewaretoken in the form or no csrftoken cookie")
        form = urllib.parse.urlencode({"csrfmiddlewaretoken": match.group(1).decode(), "username": email,
                                       "password": password, "next": ""})
        status, headers, body, _ = self.request("POST", "/login/", form.encode(), {
            "Content-Type": "application/x-www-form-urlencoded", "Referer": f"http://127.0.0.1:{self.port}/login/"})
        location = headers.get("Location", "")
        if status != 302 or "/login/" in location or "sessionid" not in self.cookies:
            raise h.BenchError(f"login as {email} failed: {status} Location={location!r} "
                               f"{body[:300].decode(errors='replace')}")
        for _hop in range(5):  # follow the redirects (home -> the user's folders) like a browser
            path = urllib.parse.urlsplit(location).path or "/"
            status, headers, _, _ = self.get(path)
            if status not in (301, 302, 303):
                break
            location = headers.get("Location", "")
        if status != 200 or "/login/" in path:
            raise h.BenchError(f"after login, GET {path} answered {status}")
        return path


def upload(port, token, folder_id, pdf, filename="facture-bench.pdf", module="purchases"):
    boundary = f"----collecte-bench-{uuid.uuid4().hex}"
    body = b"".join([
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"module\"\r\n\r\n{module}\r\n".encode(),
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n"
        f"Content-Type: application/pdf\r\n\r\n".encode(), pdf, f"\r\n--{boundary}--\r\n".encode()])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("POST", f"/api/v1/folders/{folder_id}/documents", body=body, headers={
            "Authorization": f"Bearer {token}", "Content-Type": f"multipart/form-data; boundary={boundary}"})
        response = conn.getresponse()
        data = response.read()
    finally:
        conn.close()
    if response.status != 201:
        raise h.BenchError(f"upload through the API answered {response.status}: {data[:500].decode(errors='replace')}")
    return json.loads(data)


def invoice_pdf(number):
    """A one-page text invoice (the layout of the extraction tests: label left, value right) to the demo folder."""
    from collecte.extraction.tests.invoice_pdfs import pdf

    return pdf([
        (50, 60, "ATELIER DUPONT SARL"), (50, 74, "12 rue des Lilas, 69003 Lyon"),
        (50, 88, "TVA intracom. : FR40303265045"), (50, 102, "SIREN 303 265 045"),
        (330, 140, "Facturé à :"), (330, 154, "Boulangerie Martin"), (330, 168, "TVA : FR44732829320"),
        (50, 220, "FACTURE"), (50, 240, "Facture n° :"), (200, 240, number),
        (50, 254, "Date de facture :"), (200, 254, "12/03/2025"),
        (50, 300, "Prestation de conseil"), (450, 300, "1\u00a0000,00 €"),
        (330, 400, "Total HT"), (470, 400, "1\u00a0000,00 €"),
        (330, 414, "TVA 20 %"), (470, 414, "200,00 €"),
        (330, 428, "Total TTC"), (470, 428, "1\u00a0200,00 €"),
        (50, 480, "Conditions de paiement : 30 jours fin de mois"),
        (50, 500, "IBAN : FR76 3000 6000 0112 3456 7890 189"),
    ])


def wait_for_http(port, process, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                conn.close()
                return True
            conn.close()
        except OSError:
            pass
        time.sleep(0.1)
    return False


def wait_for_invoice(folder_id, document_ids, timeout, worker):
    from django.db import close_old_connections

    from collecte.ledger.models import Invoice

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise h.BenchError(f"the worker (collecte run_huey) died with exit code {worker.returncode} while "
                               "reading the uploaded PDF")
        close_old_connections()
        invoice = Invoice.objects.filter(folder_id=folder_id, document_id__in=document_ids).first()
        if invoice is not None:
            return invoice
        time.sleep(0.2)
    return None


# --- measuring ---------------------------------------------------------------------------------------------------

def measure(browser, label, paths, warmup, requests, budget, expect_type=None):
    """Warm-up requests (paths[-warmup:] when there are enough distinct ones, else paths[0]), then `requests` timed
    GETs cycling through `paths`. Stops early (fewer samples) when the series takes longer than `budget` s."""
    warm = paths[requests:requests + warmup] if len(paths) >= requests + warmup else [paths[0]] * warmup
    for path in warm:
        check(label, path, *browser.get(path)[:3], expect_type)
    times, began = [], time.monotonic()
    for i in range(requests):
        path = paths[i % len(paths)]
        status, headers, body, elapsed = browser.get(path)
        check(label, path, status, headers, body, expect_type)
        times.append(elapsed)
        if time.monotonic() - began > budget:
            h.log(f"{label}: time budget of {budget:g} s spent after {len(times)} requests")
            break
    return times


def pg_sessions():
    """Sessions ever opened on this database (PostgreSQL >= 14), read through this process's own connection."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT sessions FROM pg_stat_database WHERE datname = current_database()")
        return cursor.fetchone()[0]


def check(label, path, status, headers, body, expect_type=None):
    if status != 200:
        raise h.BenchError(f"{label}: GET {path} answered {status} (expected 200): "
                           f"{body[:400].decode(errors='replace')}" + (f"\n--- web.log ---\n{LOG_TAIL()}"
                                                                        if LOG_TAIL else ""))
    if expect_type and not headers.get("Content-Type", "").startswith(expect_type):
        raise h.BenchError(f"{label}: GET {path} answered {headers.get('Content-Type')} (expected {expect_type})")


def query_counts(user_email, paths):
    """Each page once more, in this process through Django's test client: SQL queries and their time."""
    from django.contrib.auth import get_user_model
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(SERVER_NAME="127.0.0.1")
    client.force_login(get_user_model().objects.get(email=user_email))
    out = {}
    for label, path in paths:
        client.get(path)  # untimed: the first request in this process compiles templates and imports views
        timed = []  # [seconds, sql]: Django's captured times are rounded to the millisecond and leave out fetching

        def timer(execute, sql, params, many, context):
            entry = [0.0, sql]
            timed.append(entry)
            _time_fetches(context["cursor"], entry)
            began = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                entry[0] += time.perf_counter() - began

        reset_queries()
        with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(timer):
            began = time.perf_counter()
            response = client.get(path)
            if hasattr(response, "streaming_content"):
                b"".join(response.streaming_content)
            elapsed = time.perf_counter() - began
        slowest = sorted(timed, key=lambda entry: entry[0], reverse=True)[:3]
        out[label] = {"status": response.status_code, "queries": len(captured.captured_queries),
                      "sql_ms": round(sum(t for t, _ in timed) * 1000, 1), "view_ms": round(elapsed * 1000, 1),
                      "slowest": [(round(t * 1000, 1), _short_sql(sql)) for t, sql in slowest]}
    return out


def _short_sql(sql):
    """The statement without its column list, which says nothing about why it is slow."""
    sql = re.sub(r"^SELECT (DISTINCT )?.*? FROM ", lambda m: f"SELECT {m.group(1) or ''}... FROM ", sql, count=1,
                 flags=re.S) if sql.startswith("SELECT \"") else sql
    sql = re.sub(r'"ledger_invoice"\.', "", sql)  # the table every interesting query is about
    return sql[:700] + (" ..." if len(sql) > 700 else "")


def _time_fetches(cursor, entry):
    """Count the time spent fetching rows with the statement's own: SQLite computes rows while they are fetched,
    so execute() alone would show a slow scan as fast. The wrapper's fetch methods (reached through its
    __getattr__) are shadowed on this one cursor object, and charge the statement it ran last."""
    cursor._bench_entry = entry
    if "fetchmany" in vars(cursor):
        return
    for name in ("fetchone", "fetchmany", "fetchall"):
        def timed(*args, _name=name, **kwargs):
            began = time.perf_counter()
            try:
                return type(cursor).__getattr__(cursor, _name)(*args, **kwargs)
            finally:
                cursor._bench_entry[0] += time.perf_counter() - began
        setattr(cursor, name, timed)


# --- the benchmark -----------------------------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--invoices", type=int, default=100_000, help="invoices to seed (default %(default)s)")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page (default %(default)s)")
    parser.add_argument("--warmup", type=int, default=5, help="untimed requests per page first (default %(default)s)")
    parser.add_argument("--page-budget", type=float, default=40,
                        help="seconds at most per page's series; a slower page stops early (default %(default)s)")
    parser.add_argument("--smoke", action="store_true",
                        help="measure pages that exist without the review views (message log, folder page)")
    parser.add_argument("--no-queries", action="store_true", help="skip the in-process SQL query count")
    parser.add_argument("--seed-folder", type=int, help=argparse.SUPPRESS)  # internal: the seeding subprocess
    h.add_common_arguments(parser)
    if "--seed-folder" in sys.argv:
        return seed_main(parser.parse_args())
    return h.run_main(parser, run)


def run(args):
    with h.Instance("web", huey_args=["--quiet"], keep=args.keep) as inst:
        from collecte.web.management.commands.serve import process_commands

        folder_id = inst.demo["folders"][0]["id"]
        owner = next(u for u in inst.demo["users"] if u["role"] == "owner")
        h.log(f"instance: {inst.describe()}; folder {folder_id}; seeding {args.invoices} invoices")

        began = time.perf_counter()
        result = subprocess.run([h.PYTHON, str(Path(__file__).resolve()), "--seed-folder", str(folder_id),
                                 "--invoices", str(args.invoices)], env=inst.env, capture_output=True, text=True,
                                timeout=600, cwd=inst.dir)
        seed_wall = time.perf_counter() - began
        if result.returncode != 0:
            raise h.BenchError(f"seeding failed ({result.returncode}):\n{result.stderr[-3000:]}")
        seeded = json.loads(result.stdout.strip().splitlines()[-1])
        h.log(f"seeded {seeded['invoices']} invoices, {seeded['counterparties']} counterparties in "
              f"{seeded['seconds']:.1f} s (subprocess {seed_wall:.1f} s); {seeded['statuses']}")

        port = h.free_port()
        web_command = process_commands("127.0.0.1", port, inst.smtp_port)["web"]
        inst.env["COLLECTE_WEB_PORT"] = str(port)
        logfile = open(inst.logs / "web.log", "ab")
        web = subprocess.Popen(web_command, env=inst.env, stdout=logfile, stderr=subprocess.STDOUT, cwd=inst.dir,
                               start_new_session=True)
        logfile.close()
        try:
            return _measure_all(args, inst, web, port, folder_id, owner, seeded, seed_wall)
        finally:
            h.stop_process(web)


def _measure_all(args, inst, web, port, folder_id, owner, seeded, seed_wall):
    global LOG_TAIL
    LOG_TAIL = lambda: inst.log_tail("web.log")  # noqa: E731
    began = time.monotonic()
    if not wait_for_http(port, web, timeout=60):
        raise h.BenchError(f"the web server did not answer /healthz on {port}:\n{inst.log_tail('web.log')}")
    h.log(f"web: {' '.join(_show_command(web.args))} answered /healthz after "
          f"{time.monotonic() - began:.1f} s")
    # The worker (collecte's default two threads) turns the uploaded PDF into an invoice; the web server is what is
    # measured.
    inst.start_worker()

    browser = Browser(port)
    landing = browser.login(owner["email"], owner["password"])
    h.log(f"logged in as {owner['email']} ({owner['role']}), landed on {landing}")

    pdf_invoice = None
    if not args.smoke:
        number = f"FA-BENCH-{uuid.uuid4().hex[:6].upper()}"
        uploaded = upload(port, owner["api_token"], folder_id, invoice_pdf(number))
        document_ids = [d["id"] for d in uploaded.get("documents", [])]
        if not document_ids:
            from django.db import close_old_connections

            from collecte.intake.models import Document

            deadline = time.monotonic() + 60
            while not document_ids and time.monotonic() < deadline:
                close_old_connections()
                document_ids = list(Document.objects.filter(message_id=uploaded["message_id"])
                                    .values_list("pk", flat=True))
                time.sleep(0.2)
        try:
            pdf_invoice = (wait_for_invoice(folder_id, document_ids, timeout=90, worker=inst.worker)
                           if document_ids else None)
        except h.BenchError as exc:
            raise h.BenchError(f"{exc}:\n{inst.log_tail('worker.log')}") from None
        if pdf_invoice is None:
            raise h.BenchError(f"the uploaded PDF did not become an invoice in 90 s (documents {document_ids}):\n"
                               f"{inst.log_tail('worker.log')}")
        h.log(f"uploaded PDF -> document {pdf_invoice.document_id}, invoice {pdf_invoice.pk} "
              f"(number read: {pdf_invoice.number!r}, source {pdf_invoice.source!r})")

    base = f"/folders/{folder_id}"
    pending = seeded["pending_ids"]
    series = []  # (label, paths, expected content type)
    if args.smoke:
        series += [("message log", [f"{base}/messages/"], "text/html"),
                   ("folder page", [f"{base}/"], "text/html")]
    else:
        q = urllib.parse.quote(seeded["q"])
        doc = pdf_invoice.document_id
        series += [
            ("review queue (purchases)", [f"{base}/review/?direction=purchases"], "text/html"),
            (f"review queue, page {QUEUE_PAGE}", [f"{base}/review/?direction=purchases&page={QUEUE_PAGE}"],
             "text/html"),
            (f"invoices unpaid sales q={seeded['q']}",
             [f"{base}/invoices/?status=unpaid&direction=sales&q={q}"], "text/html"),
            ("invoices paid by -amount", [f"{base}/invoices/?status=paid&sort=-total_incl_tax"], "text/html"),
            ("review screen (PDF)", [f"/invoices/{pdf_invoice.pk}/review/"], "text/html"),
            ("page image (cached)", [f"/documents/{doc}/pages/1.png"], "image/png"),
            ("review screen (no doc)", [f"/invoices/{pk}/review/" for pk in pending], "text/html"),
            # Issue 6's figures, computed when read from the validated invoices of the last 16 months: measured for
            # the note, not held to the review pages' goal.
            ("analytics, sales (info)", [f"{base}/analytics/"], "text/html"),
            ("customers list (info)", [f"{base}/customers/"], "text/html"),
        ]

    sessions_before = pg_sessions() if inst.engine == "postgresql" else None
    requests_made = 0
    rows, summary_pages, cold = [], {}, None
    for label, paths, content_type in series:
        if label == "page image (cached)":
            status, headers, body, cold = browser.get(paths[0])
            check("page image (cold)", paths[0], status, headers, body, content_type)
            rows.append(("page image (cold, 1st)", [cold]))
        budget = min(args.page_budget, INFO_BUDGET) if label.endswith("(info)") else args.page_budget
        times = measure(browser, label, paths, args.warmup, args.requests, budget, content_type)
        requests_made += len(times) + args.warmup + (label == "page image (cached)")
        rows.append((label, times))
        h.log(f"{label}: p50 {h.percentile(times, 50) * 1000:.1f} ms, p95 {h.percentile(times, 95) * 1000:.1f} ms")
    browser.close()
    sessions = None
    if sessions_before is not None:
        time.sleep(1.2)  # backends report their statistics at most once a second
        sessions = pg_sessions() - sessions_before  # any session: the server's, and the worker's if it opened one

    queries = {}
    if not args.no_queries:
        queries = query_counts(owner["email"], [(label, paths[0]) for label, paths, _ in series])

    engine = "PostgreSQL" if inst.engine == "postgresql" else "SQLite"
    print()
    print(f"== web ({engine}, {seeded['invoices']} invoices, {seeded['counterparties']} counterparties) ==")
    vacuum = (f", then VACUUM ANALYZE {seeded['vacuum_seconds']:.1f} s" if "vacuum_seconds" in seeded else
              f", then ANALYZE {seeded['analyze_seconds']:.1f} s" if "analyze_seconds" in seeded else "")
    print(f"  seeding: {seeded['seconds']:.1f} s (bulk_create, batches of {BATCH}){vacuum}; "
          f"seeding subprocess {seed_wall:.1f} s in all")
    print(f"  statuses: {seeded['statuses']}; pending purchases {seeded['pending_purchases']}")
    if not args.smoke:
        print(f"  q={seeded['q']!r} matches {seeded['q_matches']} unpaid sales invoices (by counterparty name)")
    print(f"  server: {' '.join(_show_command(web.args))}")
    print()
    header = (f"  {'page':<34} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}  {'goal':<6} {'queries':>7} "
              f"{'sql ms':>7} {'view ms':>7}")
    print(header)
    print("  " + "-" * (len(header) - 2))
    all_passed = True
    for label, times in rows:
        p50, p95, top = (h.percentile(times, 50), h.percentile(times, 95), max(times))
        passed = p95 <= GOAL_P95
        informative = label.startswith("page image (cold") or label.endswith("(info)")
        if not informative:
            all_passed &= passed
        q = queries.get(label, {})
        verdict = "(info)" if informative else ("PASS" if passed else "FAIL")
        print(f"  {label:<34} {len(times):>4} {p50 * 1000:>8.1f} {p95 * 1000:>8.1f} {top * 1000:>8.1f}  "
              f"{verdict:<6} {q.get('queries', ''):>7} {q.get('sql_ms', ''):>7} {q.get('view_ms', ''):>7}")
        summary_pages[label] = {"n": len(times), "p50_ms": round(p50 * 1000, 1), "p95_ms": round(p95 * 1000, 1),
                                "max_ms": round(top * 1000, 1), "result": verdict,
                                **({"queries": q["queries"], "sql_ms": q["sql_ms"], "view_ms": q["view_ms"]}
                                   if q else {})}
    print()
    print(f"  goal: p95 <= {GOAL_P95 * 1000:.0f} ms on every page -> {'PASS' if all_passed else 'FAIL'}")
    if sessions is not None:
        print(f"  PostgreSQL sessions opened during the {requests_made} measured and warm-up requests: {sessions} "
              f"({sessions / max(requests_made, 1):.2f} per request; pg_stat_database.sessions)")
    if queries:
        print("  queries / sql ms / view ms: one more request per page through Django's test client in this "
              "process\n  (first path of the series): SQL statements, their total time (execute and fetch), and "
              "the whole view with its template.\n  Statements of 10 ms or more (ledger_invoice. left out):")
        for label, q in queries.items():
            for ms, sql in q["slowest"]:
                if ms >= 10:
                    print(f"  {label}: {ms} ms: {sql}")
    print("Note: a measurement; this script exits 0 whether the goal is met or not (--strict: exit 1 on FAIL).")
    h.print_json({"bench": "web", "database": inst.engine, "invoices": seeded["invoices"],
                  "seed_seconds": seeded["seconds"], "goal_p95_ms": GOAL_P95 * 1000, "pages": summary_pages,
                  **({"pg_sessions_per_request": round(sessions / max(requests_made, 1), 2)}
                     if sessions is not None else {}),
                  "result": "PASS" if all_passed else "FAIL"})
    return 1 if (args.strict and not all_passed) else 0


def _show_command(argv):
    return [Path(a).name if i == 0 else a for i, a in enumerate(argv)]


if __name__ == "__main__":
    sys.exit(main())
