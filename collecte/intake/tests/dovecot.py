"""A real IMAP server for tests: Debian's Dovecot, started with its own configuration in a temporary directory,
on free ports of 127.0.0.1, never the system service.

One plain port (STARTTLS offered) and one SSL port, a self-signed certificate for localhost/127.0.0.1, users in a
passwd-file (Dovecot reads it again when it changes, so each test adds its own user and gets an empty maildir).
XOAUTH2 is enabled: Dovecot 2.3 checks the bearer token against the passdb like a password, so a user whose
password is the token stands in for an OAuth2 account.
"""
import datetime
import imaplib
import ipaddress
import grp
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from imap_tools.utils import encode_folder  # modified UTF-7 (RFC 3501 §5.1.3): "Traitées"

DOVECOT = "/usr/sbin/dovecot"
ACCOUNTS = 500  # one per test that needs a mailbox of its own


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Dovecot:
    def __init__(self, root: Path):
        self.root = root
        self.host = "127.0.0.1"
        self.port, self.ssl_port = free_port(), free_port()
        self.cert = root / "cert.pem"
        self.users = root / "users"
        self.process = None
        self._free = []

    # --- lifecycle ---------------------------------------------------------------------------------------------

    def start(self):
        for name in ("run", "state", "mail"):
            (self.root / name).mkdir(parents=True, exist_ok=True)
        self._accounts()
        write_self_signed_certificate(self.cert, self.root / "key.pem")
        self._write_users()
        (self.root / "dovecot.conf").write_text(self._config())
        self.process = subprocess.Popen([DOVECOT, "-F", "-c", str(self.root / "dovecot.conf")],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self._wait_until_ready()
        return self

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)

    def _accounts(self):
        """Who runs what. As an ordinary user, everything runs as that user. As root, Dovecot refuses to run its
        login processes as root and to give mail access to UID 0: the package's own users and `nobody` step in."""
        if os.geteuid() != 0:
            me = pwd.getpwuid(os.getuid()).pw_name
            group = grp.getgrgid(os.getgid()).gr_name
            self.login_user, self.internal_user, self.internal_group = me, me, group
            self.mail_uid, self.mail_gid = os.getuid(), os.getgid()
            return
        self.login_user, self.internal_user, self.internal_group = "dovenull", "dovecot", "dovecot"
        nobody = pwd.getpwnam("nobody")
        self.mail_uid, self.mail_gid = nobody.pw_uid, nobody.pw_gid
        os.chmod(self.root, 0o755)  # the fixture's own directory under /tmp: Dovecot's users must reach it
        os.chown(self.root / "mail", self.mail_uid, self.mail_gid)

    def _config(self):
        r = self.root
        return f"""
protocols = imap
listen = {self.host}
base_dir = {r}/run
state_dir = {r}/state
instance_name = collecte-test-{os.getpid()}
log_path = {r}/dovecot.log
default_login_user = {self.login_user}
default_internal_user = {self.internal_user}
default_internal_group = {self.internal_group}
first_valid_uid = {min(self.mail_uid, 100)}
first_valid_gid = {min(self.mail_gid, 100)}
disable_plaintext_auth = no
auth_mechanisms = plain login xoauth2
auth_failure_delay = 0
ssl = yes
ssl_cert = <{self.cert}
ssl_key = <{r}/key.pem
mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  args = {self.users}
}}
userdb {{
  driver = passwd-file
  args = {self.users}
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = {self.host}
    port = {self.port}
  }}
  inet_listener imaps {{
    address = {self.host}
    port = {self.ssl_port}
  }}
}}
service anvil {{
  chroot =
  # no growing delay after failed logins: the tests fail logins on purpose
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
"""

    def _wait_until_ready(self):
        deadline = time.monotonic() + 30
        user, password = self.add_user()
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"dovecot exited: {self.process.stderr.read().decode()} {self.log()}")
            try:
                with self.client(user, password):
                    return
            except (OSError, imaplib.IMAP4.error):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"dovecot did not answer on port {self.port}: {self.log()}") from None
                time.sleep(0.2)

    def log(self):
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    # --- users and messages ------------------------------------------------------------------------------------

    def _write_users(self):
        """Every account the session will use, written before Dovecot starts: Dovecot reads a changed passwd-file
        again at most once a second, so accounts appended during the run would be refused for a moment."""
        lines = []
        for number in range(ACCOUNTS):
            username, password = f"user{number:04d}", f"pw-{secrets.token_hex(8)}"
            self._free.append((username, password))
            home = self.root / "mail" / username
            lines.append(f"{username}:{{PLAIN}}{password}:{self.mail_uid}:{self.mail_gid}::{home}::\n")
        self.users.write_text("".join(lines))

    def add_user(self):
        """A new account with an empty maildir: (username, password)."""
        return self._free.pop(0)

    def client(self, username, password):
        client = imaplib.IMAP4(self.host, self.port, timeout=10)
        try:
            client.login(username, password)
        except BaseException:
            client.shutdown()
            raise
        return client

    def append(self, username, password, raw: bytes, folder="INBOX", flags=None, when=None):
        """Put a message into a mailbox the way a mail client would (APPEND), returning nothing."""
        with self.client(username, password) as client:
            typ, data = client.append(encode_folder(folder), flags, imaplib.Time2Internaldate(when or time.time()), raw)
            assert typ == "OK", data

    def uids(self, username, password, folder="INBOX", criteria="ALL"):
        with self.client(username, password) as client:
            client.select(encode_folder(folder), readonly=True)
            _typ, data = client.uid("SEARCH", criteria)
            return [int(u) for u in data[0].split()]

    def flags(self, username, password, folder="INBOX"):
        """{uid: flags string} of every message in the folder."""
        with self.client(username, password) as client:
            client.select(encode_folder(folder), readonly=True)
            _typ, data = client.uid("FETCH", "1:*", "(FLAGS)")
            found = {}
            for line in data:
                if line:
                    text = line.decode()
                    uid = int(text.split("UID ")[1].split()[0].rstrip(")"))
                    found[uid] = text.split("FLAGS (")[1].split(")")[0]
            return found

    def create_folder(self, username, password, folder):
        with self.client(username, password) as client:
            typ, data = client.create(encode_folder(folder))
            assert typ == "OK", data

    def delete_folder(self, username, password, folder):
        with self.client(username, password) as client:
            typ, data = client.delete(encode_folder(folder))
            assert typ == "OK", data


def write_self_signed_certificate(cert_path: Path, key_path: Path):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    os.chmod(key_path, 0o644)  # read by Dovecot's config process, which may not run as the test's user


@pytest.fixture(scope="session")
def dovecot():
    """A running Dovecot for the whole session; skipped only where Debian's dovecot-imapd is not installed.
    Its directory is made with mkdtemp rather than pytest's tmp_path, whose parents are private to the test's
    user: run as root, Dovecot's unprivileged processes could not reach their sockets and mail there."""
    if not Path(DOVECOT).exists():
        pytest.skip(f"{DOVECOT} is not installed (Debian package dovecot-imapd)")
    server = Dovecot(Path(tempfile.mkdtemp(prefix="collecte-dovecot-")))
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.root, ignore_errors=True)


@pytest.fixture
def imap_account(dovecot):
    """A fresh, empty account on the running Dovecot: (username, password)."""
    return dovecot.add_user()
