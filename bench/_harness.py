"""What the intake benchmarks share: Postfix's load tools, a private collecte instance, test PDFs, reporting.

Every benchmark starts its own collecte (temp data dir; SQLite, or a temporary PostgreSQL database when
DATABASE_URL points at a PostgreSQL server), runs `collecte smtpd` and `collecte run_huey` as separate processes,
and stops them at the end. The benchmark process itself reads the results through the ORM, with the same
settings as the instance.
"""
import glob
import hashlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
CACHE_DIR = Path(os.environ.get("COLLECTE_BENCH_CACHE", BENCH_DIR / ".cache"))
PYTHON = sys.executable


class BenchError(Exception):
    """The benchmark could not be run (as opposed to a figure that misses its goal)."""


def fail(message):
    print(f"\nBENCHMARK ERROR: {message}", file=sys.stderr, flush=True)
    sys.exit(2)


def add_common_arguments(parser):
    parser.add_argument("--keep", action="store_true", help="keep the temp data dir")
    parser.add_argument("--strict", action="store_true", help="exit 1 when the goal is missed")


def run_main(parser, run):
    """Parse the options, run the benchmark; a benchmark that cannot run exits 2 with its reason."""
    args = parser.parse_args()
    try:
        return run(args)
    except BenchError as exc:
        fail(str(exc))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_STARTED = time.monotonic()


def log(message):
    print(f"[{time.monotonic() - _STARTED:7.1f}s] {message}", flush=True)


# --- Postfix's smtp-source and smtp-sink, from Debian's postfix package, without installing an MTA ---------------

class PostfixTools:
    """smtp-source / smtp-sink run from the unpacked postfix .deb (bench/.cache/postfix), with the package's own
    shared libraries (LD_LIBRARY_PATH) and a private, empty config dir (MAIL_CONFIG)."""

    def __init__(self, root: Path, config_dir: Path):
        self.root = root
        self.source = root / "usr/sbin/smtp-source"
        self.sink = root / "usr/sbin/smtp-sink"
        libdir = str(root / "usr/lib/postfix")
        self.env = dict(os.environ, MAIL_CONFIG=str(config_dir),
                        LD_LIBRARY_PATH=":".join(p for p in (libdir, os.environ.get("LD_LIBRARY_PATH")) if p))

    @classmethod
    def prepare(cls):
        """Download (once) and unpack postfix's .deb into the cache, then prove the tools run."""
        base = CACHE_DIR / "postfix"
        root, config_dir = base / "root", base / "config"
        if not (root / "usr/sbin/smtp-source").exists():
            deb = _postfix_deb(base)
            shutil.rmtree(root, ignore_errors=True)
            _run_or_fail(["dpkg-deb", "-x", str(deb), str(root)], "unpacking the postfix package")
        config_dir.mkdir(parents=True, exist_ok=True)
        main_cf = config_dir / "main.cf"
        if not main_cf.exists():
            # smtp-source/smtp-sink read main.cf for defaults only; an almost empty one keeps them off /etc/postfix.
            main_cf.write_text("# private config for bench/: smtp-source and smtp-sink only\ncompatibility_level = 3.6\n")
        tools = cls(root, config_dir)
        tools.self_check()
        return tools

    def sink_command(self, port, backlog=100):
        command = [str(self.sink), "-c"]
        if os.geteuid() == 0:
            command += ["-u", "nobody"]  # smtp-sink refuses to run as root without dropping privileges
        return command + [f"127.0.0.1:{port}", str(backlog)]

    def start_sink(self, port):
        process = subprocess.Popen(self.sink_command(port), env=self.env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, text=True, start_new_session=True)
        if not wait_for_smtp(port, timeout=10, process=process):
            process.kill()
            raise BenchError(f"smtp-sink did not start: {process.stderr.read()[-2000:]}")
        return process

    def run_source(self, message_file, count, sessions, recipient, port, sender="from@example.com", timeout=600):
        """Run smtp-source to completion; returns (seconds, messages it reports sent, stderr, exit code)."""
        command = [str(self.source), "-c", "-F", str(message_file), "-m", str(count), "-s", str(sessions),
                   "-f", sender, "-t", recipient, f"127.0.0.1:{port}"]
        started = time.perf_counter()
        result = subprocess.run(command, env=self.env, capture_output=True, text=True, timeout=timeout)
        elapsed = time.perf_counter() - started
        # With -c, smtp-source prints a running count of completed messages, separated by carriage returns.
        counts = [int(x) for x in result.stdout.replace("\r", "\n").split() if x.isdigit()]
        return elapsed, (counts[-1] if counts else 0), result.stderr, result.returncode

    def self_check(self):
        if not os.access(self.source, os.X_OK) or not os.access(self.sink, os.X_OK):
            raise BenchError(f"{self.source} / {self.sink} missing after unpacking postfix")
        port = free_port()
        try:
            sink = self.start_sink(port)
        except OSError as exc:
            raise BenchError(f"smtp-sink cannot run: {exc}") from None
        try:
            with tempfile.NamedTemporaryFile("wb", suffix=".eml") as f:
                f.write(b"From: a@example.com\r\nTo: b@example.com\r\nSubject: check\r\n\r\nhello\r\n")
                f.flush()
                _, sent, stderr, code = self.run_source(f.name, 2, 1, "b@example.com", port, timeout=30)
        finally:
            stop_process(sink)
        if code != 0 or sent != 2:
            raise BenchError(f"smtp-source cannot run (exit {code}, {sent}/2 sent): {stderr.strip()[-2000:]}\n"
                             f"  LD_LIBRARY_PATH={self.env['LD_LIBRARY_PATH']} MAIL_CONFIG={self.env['MAIL_CONFIG']}")


def _postfix_deb(base: Path) -> Path:
    base.mkdir(parents=True, exist_ok=True)
    debs = sorted(glob.glob(str(base / "postfix_*.deb")))
    if debs:
        return Path(debs[-1])
    if not shutil.which("apt-get") or not shutil.which("dpkg-deb"):
        raise BenchError("smtp-source/smtp-sink come from Debian's postfix package, and this machine has no "
                         f"apt-get/dpkg-deb. Put a postfix_*.deb into {base} and run again.")
    log(f"downloading Debian's postfix package into {base} (unpacked there, not installed)")
    attempts = [["apt-get", "download", "postfix"]]
    result = subprocess.run(attempts[0], cwd=base, capture_output=True, text=True)
    if result.returncode != 0 and os.geteuid() == 0:
        subprocess.run(["apt-get", "update", "-qq"], capture_output=True, text=True)  # an empty package list
        result = subprocess.run(attempts[0], cwd=base, capture_output=True, text=True)
    debs = sorted(glob.glob(str(base / "postfix_*.deb")))
    if result.returncode != 0 or not debs:
        raise BenchError(f"`apt-get download postfix` failed in {base} (exit {result.returncode}): "
                         f"{result.stderr.strip()[-1500:]}\n  Run it by hand there (after `apt-get update` as "
                         "root), or copy a postfix_*.deb into that folder.")
    return Path(debs[-1])


def _run_or_fail(command, what):
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise BenchError(f"{what} failed ({' '.join(command)}): {result.stderr.strip()[-1500:]}")
    return result


def wait_for_smtp(port, timeout=30, process=None):
    """True once something on the port answers with an SMTP 220 banner."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
                if s.recv(512).startswith(b"220"):
                    s.sendall(b"QUIT\r\n")
                    return True
        except OSError:
            pass
        time.sleep(0.05)
    return False


def stop_process(process, timeout=15):
    if process is None or process.poll() is not None:
        return
    try:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


# --- a private collecte instance ------------------------------------------------------------------------------

class Instance:
    """A collecte with its own data dir and database; `collecte smtpd` and `collecte run_huey` as processes.

    Use as a context manager. DATABASE_URL pointing at PostgreSQL: a temporary database is created on that server
    (through its admin connection) and dropped afterwards; otherwise SQLite in the temp data dir.
    """

    def __init__(self, name, huey_args=(), keep=False, extra_env=None):
        self.name = name
        self.huey_args = list(huey_args)
        self.keep = keep
        self.extra_env = extra_env or {}
        self.smtpd = self.worker = None
        self.smtp_port = free_port()
        self.pg_admin = None
        self.pg_dbname = None
        self.engine = "sqlite"

    # lifecycle
    def __enter__(self):
        self.dir = Path(tempfile.mkdtemp(prefix=f"collecte-{self.name}-"))
        self.data_dir = self.dir / "data"
        self.logs = self.dir / "logs"
        self.logs.mkdir()
        url = os.environ.get("DATABASE_URL", "")
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
        env.pop("DATABASE_URL", None)
        if url.startswith(("postgres://", "postgresql://")):
            env["DATABASE_URL"] = self._create_pg_database(url)
            self.engine = "postgresql"
        env.update(COLLECTE_DATA_DIR=str(self.data_dir), COLLECTE_SECRET_KEY="bench-" + uuid.uuid4().hex,
                   DJANGO_SETTINGS_MODULE="collecte.settings", PYTHONUNBUFFERED="1",
                   COLLECTE_SMTP_PORT=str(self.smtp_port), COLLECTE_HUEY_IMMEDIATE="0",
                   # The per-folder token bucket (default 120/min, burst 600) would throttle any benchmark.
                   COLLECTE_INTAKE_RATE_PER_MINUTE="1000000", COLLECTE_INTAKE_RATE_BURST="1000000")
        env.update(self.extra_env)
        env.pop("COLLECTE_TESTING", None)
        self.env = env
        # The benchmark process reads the results through the same settings.
        os.environ.clear()
        os.environ.update(env)
        try:
            self.collecte("migrate", "--no-input", timeout=300)
            self.demo = json.loads(self.collecte("demo", "--json").stdout)
            import django

            django.setup()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc):
        for process in (self.smtpd, self.worker):
            stop_process(process)
        try:
            from django.db import connections

            connections.close_all()
        except Exception:
            pass
        if self.pg_dbname:
            self._drop_pg_database()
        if self.keep:
            log(f"kept {self.dir}")
        else:
            shutil.rmtree(self.dir, ignore_errors=True)
        return False

    def _create_pg_database(self, url):
        import dj_database_url
        import psycopg

        db = dj_database_url.parse(url)
        admin = dict(host=db.get("HOST") or "localhost", port=db.get("PORT") or 5432,
                     user=db.get("USER") or None, password=db.get("PASSWORD") or None, autocommit=True)
        self.pg_dbname = f"collecte_bench_{uuid.uuid4().hex[:10]}"
        errors = []
        # The server's maintenance database first (the URL's own database may not exist yet), then the URL's.
        for dbname in dict.fromkeys(["postgres", db.get("NAME") or "postgres"]):
            try:
                with psycopg.connect(dbname=dbname, **admin) as conn:
                    conn.execute(f'CREATE DATABASE "{self.pg_dbname}"')
                self.pg_admin = dict(admin, dbname=dbname)
                break
            except psycopg.Error as exc:
                errors.append(f"{dbname}: {exc}".strip())
        else:
            self.pg_dbname = None
            raise BenchError(f"cannot create a temporary database on the server of {url}: {'; '.join(errors)}")
        password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
        return (f"postgres://{db.get('USER') or ''}{password}@{self.pg_admin['host']}:{self.pg_admin['port']}/"
                f"{self.pg_dbname}")

    def _drop_pg_database(self):
        import psycopg

        try:
            with psycopg.connect(**self.pg_admin) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.pg_dbname}" WITH (FORCE)')
        except psycopg.Error as exc:
            log(f"could not drop {self.pg_dbname}: {exc}")

    # commands and processes
    def collecte(self, *args, timeout=180, check=True):
        if args and args[0] == "shell":
            args = ("shell", "--no-imports", *args[1:])
        result = subprocess.run([PYTHON, "-m", "collecte.cli", *args], env=self.env, capture_output=True, text=True,
                                timeout=timeout, cwd=self.dir)
        if check and result.returncode != 0:
            raise BenchError(f"collecte {' '.join(args[:2])} failed ({result.returncode}):\n{result.stderr[-3000:]}")
        return result

    def _spawn(self, logname, *args):
        out = open(self.logs / logname, "ab")
        try:
            return subprocess.Popen([PYTHON, "-m", "collecte.cli", *args], env=self.env, stdout=out,
                                    stderr=subprocess.STDOUT, cwd=self.dir, start_new_session=True)
        finally:
            out.close()

    def start_smtpd(self, timeout=60):
        self.smtpd = self._spawn("smtpd.log", "smtpd", "--host", "127.0.0.1", "--port", str(self.smtp_port))
        if not wait_for_smtp(self.smtp_port, timeout=timeout, process=self.smtpd):
            raise BenchError(f"collecte smtpd did not answer on {self.smtp_port}:\n{self.log_tail('smtpd.log')}")
        return self.smtpd

    def start_worker(self):
        self.worker = self._spawn("worker.log", "run_huey", *self.huey_args)
        time.sleep(0.2)
        if self.worker.poll() is not None:
            raise BenchError(f"collecte run_huey exited at once:\n{self.log_tail('worker.log')}")
        return self.worker

    def kill(self, process):
        """kill -9, and reap it."""
        if process is not None and process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def log_tail(self, logname, chars=3000):
        path = self.logs / logname
        return path.read_text(errors="replace")[-chars:] if path.exists() else "(no log)"

    def count_in_log(self, logname, needle):
        path = self.logs / logname
        return path.read_text(errors="replace").count(needle) if path.exists() else 0

    @property
    def address(self):
        return self.demo["folders"][0]["addresses"]["purchases"]

    def raw_path(self, name):
        from django.conf import settings

        return Path(settings.MEDIA_ROOT) / name

    def describe(self):
        return f"{self.engine} (data dir {self.data_dir})"


def wait_until_processed(timeout, stall=None, expected=None, interval=0.25):
    """Wait until no InboundMessage is 'received' (and, if given, `expected` rows exist). Returns seconds waited.
    With `stall`, give up early when nothing changed for that many seconds."""
    from django.db import close_old_connections

    from collecte.intake.models import InboundMessage

    started = last_change = time.monotonic()
    last = None
    while time.monotonic() - started < timeout:
        close_old_connections()
        total = InboundMessage.objects.count()
        waiting = InboundMessage.objects.filter(status=InboundMessage.Status.RECEIVED).count()
        if waiting == 0 and (expected is None or total >= expected):
            break
        if (total, waiting) != last:
            last, last_change = (total, waiting), time.monotonic()
        elif stall and time.monotonic() - last_change > stall:
            break
        time.sleep(interval)
    return time.monotonic() - started


# --- messages ------------------------------------------------------------------------------------------------

def make_pdf(text: str, size: int = 100_000, seed=None) -> bytes:
    """A real one-page PDF (built with pikepdf): an invoice-like text line and a grey-noise image drawn on the
    page, whose size brings the file to about `size` bytes. Different `text` gives a different file."""
    import pikepdf

    rng = random.Random(seed if seed is not None else text)
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    page = pdf.pages[0]
    side = max(1, int((max(size - 1500, 1)) ** 0.5))
    image = pikepdf.Stream(pdf, rng.randbytes(side * side))
    image.Type, image.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
    image.Width, image.Height = side, side
    image.ColorSpace, image.BitsPerComponent = pikepdf.Name.DeviceGray, 8
    font = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1,
                                                BaseFont=pikepdf.Name.Helvetica))
    page.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font),
                                        XObject=pikepdf.Dictionary(Im1=pdf.make_indirect(image)))
    safe = text.replace("\\", "").replace("(", "").replace(")", "")
    page.Contents = pdf.make_stream(
        f"BT /F1 14 Tf 56 780 Td (FACTURE {safe}) Tj ET q 300 0 0 300 56 420 cm /Im1 Do Q".encode())
    from io import BytesIO

    out = BytesIO()
    pdf.save(out, compress_streams=False, deterministic_id=True)
    return out.getvalue()


def make_message(to, pdf: bytes, subject, message_id=None, filename="facture.pdf", linesep="\r\n") -> bytes:
    """An invoice email with the PDF attached. smtp-source -F wants LF line endings (it sends each line with
    CRLF, and would double a CR); smtplib wants CRLF."""
    msg = EmailMessage()
    msg["From"] = "Fournisseur <factures@fournisseur.example>"
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=True)
    if message_id:
        msg["Message-ID"] = message_id
    msg.set_content("Bonjour,\n\nveuillez trouver ci-joint notre facture.\n\nCordialement\n")
    msg.add_attachment(pdf, maintype="application", subtype="pdf", filename=filename)
    return msg.as_bytes(policy=msg.policy.clone(linesep=linesep))


def normalise_message_id(value: str) -> str:
    return (value or "").strip().strip("<>").strip()


def header_message_id(raw: bytes) -> str:
    from email.parser import BytesHeaderParser

    return normalise_message_id(BytesHeaderParser().parsebytes(raw).get("Message-ID", ""))


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# --- reporting -----------------------------------------------------------------------------------------------

def percentile(values, p):
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, int(-(-p * len(ordered) // 100)))  # ceil(p/100 * n)
    return ordered[min(rank, len(ordered)) - 1]


def print_table(title, rows):
    """rows: (label, value) pairs; a value of None prints a separator line."""
    width = max(len(label) for label, _ in rows)
    print()
    print(f"== {title} ==")
    for label, value in rows:
        if value is None:
            print("-" * (width + 20))
        else:
            print(f"  {label.ljust(width)}  {value}")
    print(flush=True)


def print_json(summary):
    print(json.dumps(summary, sort_keys=False, separators=(", ", ": ")), flush=True)


# --- French company names for seeded counterparties (bench/web.py, bench/ledger.py) -------------------------------

TRADES = ["Boulangerie", "Garage", "Atelier", "Cabinet", "Transports", "Imprimerie", "Menuiserie", "Pharmacie",
          "Librairie", "Électricité", "Plomberie", "Restaurant", "Hôtel", "Fromagerie", "Quincaillerie", "Agence",
          "Studio", "Ferme", "Laboratoire", "Carrosserie", "Traiteur", "Fleuriste", "Papeterie", "Serrurerie"]
NAMES = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
         "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier",
         "Morel", "Girard", "André", "Lefèvre", "Mercier", "Dupont", "Lambert", "Bonnet", "François", "Martinez",
         "Legrand", "Garnier", "Faure", "Rousseau", "Blanc", "Guerin", "Muller", "Henry", "Roussel", "Nicolas",
         "Perrin", "Morin", "Mathieu", "Clement", "Gauthier", "Dumont", "Lopez", "Fontaine", "Chevalier", "Robin"]
CITIES = ["Lyon", "Paris", "Lille", "Nantes", "Rennes", "Dijon", "Tours", "Metz", "Nancy", "Brest", "Reims", "Pau"]
LEGAL = ["SARL", "SAS", "SA", "EURL", "SASU", ""]


def company_name(rng) -> str:
    """"Boulangerie Moreau Lyon SARL" and the like, from the generator given (seeded runs stay the same)."""
    return " ".join(filter(None, [rng.choice(TRADES), rng.choice(NAMES), rng.choice(CITIES), rng.choice(LEGAL)]))
