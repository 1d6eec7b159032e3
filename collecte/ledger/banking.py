"""Bank accounts and statement imports: the edge around the pure parsers of collecte.ledger.statements."""
from __future__ import annotations

from dataclasses import asdict

from django.db import transaction
from django.utils.translation import gettext as _

from .errors import LedgerError
from .models import BankAccount, BankTransaction, StatementImport
from .statements import CsvMapping, StatementError, detect_format, guess_csv_mapping, parse_statement

CHUNK = 2000
AUTO_INLINE = 500  # a statement with more new lines is reconciled automatically by the worker, not in the request


def clean_iban(raw: str) -> str:
    from schwifty import IBAN
    from schwifty.exceptions import SchwiftyException

    try:
        return IBAN(raw or "").compact
    except SchwiftyException:
        raise LedgerError(_("IBAN invalide : vérifiez les chiffres (exemple : FR76 3000 6000 0112 3456 7890 189)."),
                          "invalid_iban", "iban") from None


def add_account(folder, name: str, iban: str, currency: str = "EUR") -> BankAccount:
    compact = clean_iban(iban)
    if BankAccount.objects.filter(folder=folder, iban=compact).exists():
        raise LedgerError(_("Ce compte existe déjà dans le dossier."), "duplicate_account", "iban", status=409)
    return BankAccount.objects.create(folder=folder, name=(name or "").strip()[:100] or compact[-8:], iban=compact,
                                      currency=(currency or "EUR").upper()[:3])


def import_statement(account: BankAccount, data: bytes, filename: str, user=None, mapping=None) -> StatementImport:
    """Read the file and keep every booked line not already there (by the bank's id, or the line's hash): a
    statement imported twice, or two statements that overlap, never create a transaction twice. A file we cannot
    read raises LedgerError with the parser's sentence (naming the line or element)."""
    given = mapping
    try:
        file_format = detect_format(data, filename)
        if file_format == "csv":
            mapping = _csv_mapping(account, data, mapping)
        statement = parse_statement(data, filename, mapping)
    except StatementError as error:
        raise LedgerError(error.message, "unreadable_statement", "file") from None
    if statement.account_iban and statement.account_iban != account.iban:
        raise LedgerError(_("Ce relevé est celui du compte %(other)s, pas de %(iban)s : importez-le dans le bon "
                            "compte.") % {"other": statement.account_iban, "iban": account.iban},
                          "other_account", "file", status=409)
    foreign = {t.currency for t in statement.transactions} - {account.currency}
    if foreign:
        raise LedgerError(_("Ce relevé est en %(found)s, le compte en %(currency)s.")
                          % {"found": ", ".join(sorted(foreign)), "currency": account.currency},
                          "other_currency", "file", status=409)
    if file_format == "csv" and given is not None and asdict(given) != account.csv_mapping:
        account.csv_mapping = asdict(given)  # a person's mapping that read this account's file: kept for the next
        account.save(update_fields=["csv_mapping"])
    with transaction.atomic():
        record = StatementImport.objects.create(
            account=account, filename=(filename or "")[:255], file_format=file_format,
            period_start=statement.period_start, period_end=statement.period_end,
            warnings=list(statement.warnings), imported_by=user if getattr(user, "pk", None) else None)
        record.created = _store_new(account, record, statement.transactions)
        record.already_there = len(statement.transactions) - record.created
        record.save(update_fields=["created", "already_there"])
        _update_balance(account, statement)
        if account.folder.auto_reconcile and record.created:
            _reconcile_new_lines(record)
    return record


def _reconcile_new_lines(record):
    from .reconcile import auto_reconcile_statement
    from .tasks import auto_reconcile_task

    if record.created > AUTO_INLINE:
        transaction.on_commit(lambda: auto_reconcile_task(record.pk))
        return
    record.auto_reconciled = auto_reconcile_statement(record).reconciled
    record.save(update_fields=["auto_reconciled"])


def _csv_mapping(account, data, given: CsvMapping | None) -> CsvMapping:
    """The mapping a person gives now (saved on the account for the next statements), else the saved one, else a
    guess from the header. None of them: the person is asked which column holds what (`csv_mapping_needed`)."""
    if given is not None:
        return given
    if account.csv_mapping:
        try:
            return CsvMapping(**account.csv_mapping)
        except TypeError:  # saved by an older release with other fields: guess instead
            pass
    guessed = guess_csv_mapping(data)
    if guessed is None:
        raise LedgerError(_("Les colonnes de ce CSV ne sont pas reconnues : indiquez quelle colonne contient la date, "
                            "le libellé et le montant (ou le débit et le crédit). Ce choix est gardé pour les "
                            "prochains relevés de ce compte."), "csv_mapping_needed", "file")
    return guessed


def _store_new(account, record, transactions) -> int:
    created = 0
    for start in range(0, len(transactions), CHUNK):
        chunk = transactions[start:start + CHUNK]
        known = set(BankTransaction.objects.filter(account=account, bank_id__in=[t.bank_id for t in chunk])
                    .values_list("bank_id", flat=True))
        new = [BankTransaction(
            folder_id=account.folder_id, account=account, statement=record, bank_id=t.bank_id[:100],
            booking_date=t.booking_date, value_date=t.value_date, amount=t.amount, currency=t.currency,
            label=t.label, counterparty_name=(t.counterparty_name or "")[:200],
            counterparty_iban=(t.counterparty_iban or "")[:34], reference=(t.reference or "")[:140])
            for t in chunk if t.bank_id not in known]
        BankTransaction.objects.bulk_create(new, batch_size=500)
        created += len(new)
    return created


def _update_balance(account, statement):
    """The closing balance of the latest statement is the account's balance; an older statement does not move it."""
    day = statement.period_end or max((t.booking_date for t in statement.transactions), default=None)
    if statement.closing_balance is None or day is None:
        return
    if account.balance_date is None or day >= account.balance_date:
        account.balance, account.balance_date = statement.closing_balance, day
        account.save(update_fields=["balance", "balance_date"])
