"""IMAP mailboxes against a real Dovecot: what is fetched, what is never fetched twice, what happens on the server
afterwards, and the sentences people read when something is wrong."""
import datetime
import io
import logging
import socket
import time
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from email.policy import SMTP as SMTP_POLICY

import pikepdf
import pytest
from django.db import connection
from django.utils import timezone

from collecte.intake import imap
from collecte.intake.imap import poll_mailbox, test_connection
from collecte.intake.imap_tasks import poll_due_imap_mailboxes
from collecte.intake.models import ImapMailbox, ImapSeenMessage, InboundMessage

from .dovecot import dovecot, free_port, imap_account  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db(transaction=True)  # the pipeline runs on commit, as in production

AUTH_REFUSED = "Identifiant ou mot de passe refusé par le serveur IMAP."


def pdf(tag):
    with pikepdf.new() as document:
        document.add_blank_page(page_size=(595, 842))
        document.docinfo["/Title"] = tag
        out = io.BytesIO()
        document.save(out, deterministic_id=True)
        return out.getvalue()


def email(subject="Facture", attachment=True, message_id=None):
    """A message as a supplier sends it, with CRLF line ends as on the wire (Dovecot gives those back)."""
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "fournisseur@example.com", "compta@client.example", subject
    msg["Message-ID"] = message_id or f"<{time.monotonic_ns()}@example.com>"
    msg["Return-Path"] = "<bounces@example.com>"
    msg.set_content("Bonjour, veuillez trouver notre facture.")
    if attachment:
        msg.add_attachment(pdf(subject), maintype="application", subtype="pdf", filename=f"{subject}.pdf")
    return msg.as_bytes(policy=SMTP_POLICY)


@pytest.fixture
def make_mailbox(world, dovecot, imap_account):  # noqa: F811
    username, password = imap_account

    def make(secret=None, **fields):
        values = {"module": "purchases", "host": "127.0.0.1", "port": dovecot.port, "security": "none",
                  "username": username, **fields}
        mailbox = ImapMailbox(folder=world.folder, **values)
        mailbox.set_secret(password if secret is None else secret)
        mailbox.save()
        return mailbox

    return make


@pytest.fixture
def account(dovecot, imap_account):  # noqa: F811
    """Shortcuts on the test's own account: append(raw), uids(), flags()."""
    username, password = imap_account

    class Account:
        name, secret = username, password

        def append(self, raw, folder="INBOX", flags=None, when=None):
            dovecot.append(username, password, raw, folder=folder, flags=flags, when=when)

        def uids(self, folder="INBOX"):
            return dovecot.uids(username, password, folder)

        def flags(self, folder="INBOX"):
            return dovecot.flags(username, password, folder)

        def create_folder(self, folder):
            dovecot.create_folder(username, password, folder)

        def delete_folder(self, folder):
            dovecot.delete_folder(username, password, folder)

    return Account()


# --- fetching -------------------------------------------------------------------------------------------------

def test_it_fetches_an_unseen_message_with_its_exact_bytes(world, make_mailbox, account):
    raw = email("Facture 2024-001")
    account.append(raw)
    mailbox = make_mailbox()
    result = poll_mailbox(mailbox)
    assert (result.fetched, result.skipped_seen, result.errors) == (1, 0, [])
    row = InboundMessage.objects.get(folder=world.folder)
    assert (row.source, row.module, row.raw_size) == ("imap", "purchases", len(raw))
    assert row.read_raw() == raw
    assert row.envelope_from == "bounces@example.com"
    assert row.envelope_to == mailbox.label
    mailbox.refresh_from_db()
    assert mailbox.last_error == "" and mailbox.last_polled_at is not None and mailbox.last_uidvalidity


def test_the_fetched_message_becomes_a_document(world, make_mailbox, account):
    pytest.importorskip("collecte.intake.mime")
    account.append(email("Facture 2024-002"))
    poll_mailbox(make_mailbox(module="sales"))
    row = InboundMessage.objects.get(folder=world.folder)
    assert row.status == InboundMessage.Status.DOCUMENTS, (row.status, row.status_reason, row.last_error)
    [document] = row.documents.all()
    assert (document.module, document.content_type) == ("sales", "application/pdf")


def test_a_second_poll_fetches_nothing(world, make_mailbox, account):
    account.append(email("Facture A"))
    mailbox = make_mailbox()
    assert poll_mailbox(mailbox).fetched == 1
    again = poll_mailbox(mailbox)
    assert (again.fetched, again.errors) == (0, [])
    assert InboundMessage.objects.filter(folder=world.folder).count() == 1


def test_a_message_without_attachment_is_tracked_and_not_fetched_again(world, make_mailbox, account):
    account.append(email("Simple bonjour", attachment=False))
    # "since" keeps selecting the message after it was read: only the UID record stops a second fetch.
    mailbox = make_mailbox(selection="since", since_date=datetime.date(2000, 1, 1))
    assert poll_mailbox(mailbox).fetched == 1
    [uid] = account.uids()
    assert ImapSeenMessage.objects.filter(mailbox=mailbox, uid=uid, uidvalidity=mailbox.last_uidvalidity).exists()
    again = poll_mailbox(mailbox)
    assert (again.fetched, again.skipped_seen, again.errors) == (0, 1, [])
    assert InboundMessage.objects.filter(folder=world.folder).count() == 1


def test_a_message_marked_unread_again_is_not_fetched_again(world, make_mailbox, account, dovecot):  # noqa: F811
    account.append(email("Relue"))
    mailbox = make_mailbox()
    poll_mailbox(mailbox)
    [uid] = account.uids()
    with dovecot.client(account.name, account.secret) as client:
        client.select("INBOX")
        client.uid("STORE", str(uid), "-FLAGS", r"(\Seen)")
    again = poll_mailbox(mailbox)
    assert (again.fetched, again.skipped_seen) == (0, 1)
    assert r"\Seen" in account.flags()[uid]  # and the after-action was applied again
    assert InboundMessage.objects.filter(folder=world.folder).count() == 1


def test_it_fetches_at_most_a_batch_per_poll(world, make_mailbox, account, monkeypatch):
    monkeypatch.setattr(imap, "MAX_PER_POLL", 2)
    for n in range(3):
        account.append(email(f"Lot {n}", attachment=False))
    mailbox = make_mailbox()
    assert poll_mailbox(mailbox).fetched == 2
    assert poll_mailbox(mailbox).fetched == 1
    assert InboundMessage.objects.filter(folder=world.folder).count() == 3


# --- after-actions --------------------------------------------------------------------------------------------

def test_it_marks_fetched_messages_as_seen_and_nothing_else(make_mailbox, account):
    account.append(email("Facture lue"))
    account.append(email("Déjà lue"), flags=r"(\Seen)")
    before = account.flags()
    poll_mailbox(make_mailbox(after_action="mark_seen"))
    after = account.flags()
    assert set(after) == set(before)  # nothing moved or deleted
    assert all(r"\Seen" in flags for flags in after.values())


def test_fetching_alone_does_not_mark_the_message_seen(make_mailbox, account, monkeypatch):
    # BODY.PEEK[]: if the after-action fails, the message stays unread for the user and for the next poll.
    monkeypatch.setattr(imap, "_after_action", lambda *args: None)
    account.append(email("Pas encore lue"))
    poll_mailbox(make_mailbox())
    [flags] = account.flags().values()
    assert r"\Seen" not in flags


def test_it_moves_fetched_messages_to_another_folder(world, make_mailbox, account):
    account.create_folder("Traitées")
    account.append(email("A déplacer"))
    result = poll_mailbox(make_mailbox(after_action="move", move_to="Traitées"))
    assert (result.fetched, result.errors) == (1, [])
    assert account.uids() == []
    assert len(account.uids("Traitées")) == 1


def test_it_deletes_fetched_messages_and_leaves_the_users_own_deletions_alone(make_mailbox, account):
    account.append(email("A supprimer"))
    # Marked deleted by the user's own mail client, not expunged yet, already read so not ours to take.
    account.append(email("Corbeille de l'utilisateur"), flags=r"(\Seen \Deleted)")
    [_ours, theirs] = account.uids()
    result = poll_mailbox(make_mailbox(after_action="delete"))
    assert (result.fetched, result.errors) == (1, [])
    assert account.uids() == [theirs]


def test_a_failed_move_is_reported_and_retried_without_fetching_again(world, make_mailbox, account):
    account.append(email("Destination absente"))
    mailbox = make_mailbox(after_action="move", move_to="Archives")
    first = poll_mailbox(mailbox)
    assert first.fetched == 1 and first.errors
    mailbox.refresh_from_db()
    assert mailbox.last_error.startswith("Le serveur IMAP a refusé une commande")
    account.create_folder("Archives")
    second = poll_mailbox(mailbox)
    assert (second.fetched, second.skipped_seen, second.errors) == (0, 1, [])
    assert account.uids() == [] and len(account.uids("Archives")) == 1
    assert InboundMessage.objects.filter(folder=world.folder).count() == 1


# --- selection ------------------------------------------------------------------------------------------------

def test_since_selects_every_message_from_the_date_read_or_not(world, make_mailbox, account):
    account.append(email("Ancienne"), when=datetime.datetime(2020, 3, 1, 12, tzinfo=datetime.timezone.utc))
    account.append(email("Récente lue"), flags=r"(\Seen)")
    account.append(email("Récente"))
    result = poll_mailbox(make_mailbox(selection="since", since_date=datetime.date(2024, 1, 1)))
    assert (result.fetched, result.errors) == (2, [])
    subjects = {message_from_bytes(row.read_raw(), policy=default)["Subject"] for row in InboundMessage.objects.all()}
    assert subjects == {"Récente lue", "Récente"}


def test_unseen_leaves_read_messages_alone(world, make_mailbox, account):
    account.append(email("Lue par le client"), flags=r"(\Seen)")
    assert poll_mailbox(make_mailbox()).fetched == 0
    assert not InboundMessage.objects.exists()


def test_it_reads_another_folder_than_the_inbox(world, make_mailbox, account):
    account.create_folder("Factures")
    account.append(email("Dans Factures"), folder="Factures")
    account.append(email("Dans INBOX"))
    assert poll_mailbox(make_mailbox(imap_folder="Factures")).fetched == 1
    assert len(account.uids()) == 1


# --- UIDVALIDITY and crash safety ---------------------------------------------------------------------------

def test_a_new_uidvalidity_fetches_again_without_duplicate_documents(world, make_mailbox, account):
    raw = email("Facture renumérotée", message_id="<renum-1@example.com>")
    account.create_folder("Factures")
    account.append(raw, folder="Factures")
    mailbox = make_mailbox(imap_folder="Factures", selection="since", since_date=datetime.date(2000, 1, 1))
    assert poll_mailbox(mailbox).fetched == 1
    first_validity = mailbox.last_uidvalidity
    # The folder is recreated (a server migration, a restore): the server must give it a new UIDVALIDITY.
    account.delete_folder("Factures")
    account.create_folder("Factures")
    account.append(raw, folder="Factures")
    again = poll_mailbox(mailbox)
    assert (again.fetched, again.skipped_seen, again.errors) == (1, 0, [])
    assert mailbox.last_uidvalidity != first_validity
    assert set(ImapSeenMessage.objects.filter(mailbox=mailbox).values_list("uidvalidity", flat=True)) == {
        mailbox.last_uidvalidity}
    rows = list(InboundMessage.objects.filter(folder=world.folder).order_by("pk"))
    assert len(rows) == 2 and all(row.read_raw() == raw for row in rows)
    pytest.importorskip("collecte.intake.mime")
    for row in rows:
        row.refresh_from_db()
    assert [row.status for row in rows] == [InboundMessage.Status.DOCUMENTS, InboundMessage.Status.ALREADY_RECEIVED]
    assert world.folder.documents.count() == 1


def test_a_crash_between_accepting_and_recording_fetches_again_and_is_absorbed(world, make_mailbox, account,
                                                                               monkeypatch):
    account.append(email("Panne", message_id="<panne-1@example.com>"))
    mailbox = make_mailbox()
    original = ImapSeenMessage.objects.get_or_create

    def crash(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(ImapSeenMessage.objects, "get_or_create", crash)
    first = poll_mailbox(mailbox)
    assert first.fetched == 0 and first.errors
    assert InboundMessage.objects.count() == 1  # accepted before the crash: not lost
    assert r"\Seen" not in next(iter(account.flags().values()))  # and still unread on the server
    monkeypatch.setattr(ImapSeenMessage.objects, "get_or_create", original)
    assert poll_mailbox(mailbox).fetched == 1
    assert InboundMessage.objects.count() == 2
    pytest.importorskip("collecte.intake.mime")
    statuses = sorted(InboundMessage.objects.values_list("status", flat=True))
    assert statuses == sorted([InboundMessage.Status.DOCUMENTS, InboundMessage.Status.ALREADY_RECEIVED])


def test_a_poll_already_running_is_not_doubled(world, make_mailbox, account):
    account.append(email("Pendant une relève"))
    mailbox = make_mailbox()
    ImapMailbox.objects.filter(pk=mailbox.pk).update(poll_lease_until=timezone.now() + datetime.timedelta(minutes=5))
    result = poll_mailbox(mailbox)
    assert result.fetched == 0 and result.errors == ["Une relève de cette boîte est déjà en cours."]
    assert not InboundMessage.objects.exists()
    ImapMailbox.objects.filter(pk=mailbox.pk).update(poll_lease_until=timezone.now() - datetime.timedelta(seconds=1))
    assert poll_mailbox(mailbox).fetched == 1  # an expired claim (a worker killed mid-poll) does not block forever


# --- errors and secrets ---------------------------------------------------------------------------------------

def test_a_wrong_password_is_a_clear_error_not_an_exception(world, make_mailbox, account):
    account.append(email("Jamais relevée"))
    mailbox = make_mailbox(secret="not-the-password")
    result = poll_mailbox(mailbox)
    assert (result.fetched, result.errors) == (0, [AUTH_REFUSED])
    mailbox.refresh_from_db()
    assert mailbox.last_error == AUTH_REFUSED and mailbox.last_polled_at is not None
    assert not InboundMessage.objects.exists()


def test_a_good_poll_clears_the_last_error(make_mailbox, account):
    mailbox = make_mailbox(secret="wrong")
    poll_mailbox(mailbox)
    mailbox.set_secret(account.secret)
    mailbox.save()
    poll_mailbox(mailbox)
    mailbox.refresh_from_db()
    assert mailbox.last_error == ""


def test_the_secret_is_encrypted_in_the_database(make_mailbox, account):
    mailbox = make_mailbox()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {ImapMailbox._meta.db_table} WHERE id = %s", [mailbox.pk])
        row = cursor.fetchone()
    assert not any(account.secret in str(value) for value in row)
    assert ImapMailbox.objects.get(pk=mailbox.pk).get_secret() == account.secret


def test_a_new_secret_key_asks_for_the_password_again(make_mailbox, settings):
    mailbox = make_mailbox()
    settings.SECRET_KEY = "another-secret-key-after-rotation"
    result = poll_mailbox(mailbox)
    assert result.errors == ["Le mot de passe enregistré ne peut plus être déchiffré (la clé secrète du serveur "
                             "collecte a changé) : saisissez-le à nouveau."]


def test_the_password_never_reaches_the_logs(make_mailbox, account, caplog):
    caplog.set_level(logging.DEBUG)
    account.append(email("Journal"))
    poll_mailbox(make_mailbox())
    poll_mailbox(make_mailbox(port=free_port()))  # refused: an error is logged
    wrong = make_mailbox(secret="a-wrong-password-123")
    poll_mailbox(wrong)
    assert caplog.records
    assert account.secret not in caplog.text and "a-wrong-password-123" not in caplog.text


def test_clear_text_is_refused_for_a_remote_server_even_if_stored(make_mailbox):
    mailbox = make_mailbox(host="imap.example.com")
    ok, message = test_connection(mailbox)
    assert not ok and "seul un serveur local" in message


def test_the_model_refuses_clear_text_to_a_remote_server(world):
    from django.core.exceptions import ValidationError

    mailbox = ImapMailbox(folder=world.folder, host="imap.example.com", port=143, security="none", username="x")
    with pytest.raises(ValidationError) as refused:
        mailbox.full_clean()
    assert "localhost ou 127.0.0.1" in refused.value.message_dict["security"][0]


# --- connection test ------------------------------------------------------------------------------------------

def test_the_connection_test_reports_success_with_counts(make_mailbox, account):
    account.append(email("Une"))
    account.append(email("Deux"), flags=r"(\Seen)")
    ok, message = test_connection(make_mailbox())
    assert ok, message
    assert message == "Connexion réussie : 2 message(s) dans « INBOX », dont 1 non lu(s)."


def test_it_refuses_servers_on_the_internal_network_by_default(make_mailbox, settings):
    settings.IMAP_ALLOW_PRIVATE_HOSTS = False
    ok, message = test_connection(make_mailbox())
    assert not ok and "réseau interne (127.0.0.1)" in message


def test_the_connection_test_reports_a_refused_password(make_mailbox):
    assert test_connection(make_mailbox(secret="wrong-one")) == (False, AUTH_REFUSED)


def test_the_connection_test_reports_a_missing_folder(make_mailbox):
    ok, message = test_connection(make_mailbox(imap_folder="Facturs"))
    assert not ok
    assert message.startswith("Le dossier « Facturs » n'existe pas dans cette boîte IMAP")


def test_the_connection_test_reports_a_missing_move_destination(make_mailbox):
    ok, message = test_connection(make_mailbox(after_action="move", move_to="Traitées"))
    assert not ok and message.startswith("Le dossier « Traitées » n'existe pas")


def test_the_connection_test_reports_an_unknown_host(make_mailbox):
    ok, message = test_connection(make_mailbox(host="imap.nonexistent.invalid", security="ssl", port=993))
    assert not ok
    assert message == "Serveur IMAP introuvable : le nom « imap.nonexistent.invalid » n'existe pas (vérifiez " \
                      "l'orthographe)."


def test_the_connection_test_reports_a_refused_port(make_mailbox):
    port = free_port()  # nothing listens there
    ok, message = test_connection(make_mailbox(port=port))
    assert not ok and message == f"Le serveur 127.0.0.1 refuse la connexion sur le port {port} : vérifiez le port."


def test_the_connection_test_reports_a_timeout(make_mailbox, settings):
    settings.IMAP_TIMEOUT_SECONDS = 1
    with socket.socket() as silent:  # accepts the TCP connection (backlog) and never greets
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        ok, message = test_connection(make_mailbox(port=silent.getsockname()[1]))
    assert not ok
    assert message.startswith("Le serveur IMAP 127.0.0.1:") and "ne répond pas (délai de 1 s dépassé)" in message


def test_the_connection_test_reports_tls_spoken_to_a_plain_port(make_mailbox):
    ok, message = test_connection(make_mailbox(security="ssl"))
    assert not ok and message.startswith("La connexion sécurisée (TLS) avec 127.0.0.1:")


def test_the_connection_test_reports_an_untrusted_certificate(make_mailbox, dovecot):  # noqa: F811
    ok, message = test_connection(make_mailbox(security="ssl", port=dovecot.ssl_port))
    assert not ok
    assert message.startswith("Le certificat TLS du serveur 127.0.0.1 n'est pas valide")


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_tls_works_with_a_trusted_certificate(make_mailbox, dovecot, settings, account, security):  # noqa: F811
    settings.IMAP_CA_FILE = str(dovecot.cert)
    account.append(email(f"Par {security}"))
    port = dovecot.ssl_port if security == "ssl" else dovecot.port
    mailbox = make_mailbox(security=security, port=port)
    assert test_connection(mailbox)[0]
    assert poll_mailbox(mailbox).fetched == 1


def test_xoauth2_logs_in_with_an_access_token(make_mailbox, account):
    # Dovecot checks the bearer token against its passdb: the account's password plays the token.
    account.append(email("Par OAuth2"))
    mailbox = make_mailbox(auth="xoauth2")
    assert test_connection(mailbox)[0]
    assert poll_mailbox(mailbox).fetched == 1


def test_a_refused_xoauth2_token_says_it_may_have_expired(make_mailbox):
    ok, message = test_connection(make_mailbox(auth="xoauth2", secret="expired-token"))
    assert not ok and message.startswith("Jeton d'accès OAuth2 refusé par le serveur IMAP")


# --- the periodic job -----------------------------------------------------------------------------------------

def test_the_periodic_job_polls_enabled_mailboxes_whose_interval_has_elapsed(world, make_mailbox, account):
    account.append(email("Périodique"))
    now = timezone.now()
    due = make_mailbox(poll_interval_minutes=5)
    recent = make_mailbox(poll_interval_minutes=5)
    ImapMailbox.objects.filter(pk=recent.pk).update(last_polled_at=now - datetime.timedelta(minutes=2))
    disabled = make_mailbox(enabled=False)
    poll_due_imap_mailboxes.call_local()
    due.refresh_from_db(), recent.refresh_from_db(), disabled.refresh_from_db()
    assert due.last_polled_at is not None and due.last_polled_at > now
    assert recent.last_polled_at < now and disabled.last_polled_at is None
    assert InboundMessage.objects.filter(folder=world.folder).count() == 1


def test_a_mailbox_polled_four_and_a_half_minutes_ago_is_due_every_five(world):
    mailbox = ImapMailbox(poll_interval_minutes=5)
    now = timezone.now()
    mailbox.last_polled_at = now - datetime.timedelta(minutes=4, seconds=45)
    assert mailbox.is_due(now)
    mailbox.last_polled_at = now - datetime.timedelta(minutes=3)
    assert not mailbox.is_due(now)


def test_the_periodic_job_survives_an_unreachable_server(world, make_mailbox):
    broken = make_mailbox(port=free_port())
    poll_due_imap_mailboxes.call_local()
    broken.refresh_from_db()
    assert broken.last_error.startswith("Le serveur 127.0.0.1 refuse la connexion")


def test_the_worker_registers_the_imap_jobs():
    from huey.contrib.djhuey import HUEY

    import collecte.intake.tasks  # noqa: F401  (what djhuey imports)

    names = {name.rsplit(".", 1)[-1] for name in HUEY._registry._registry}
    assert {"poll_due_imap_mailboxes", "poll_imap_mailbox_task"} <= names
