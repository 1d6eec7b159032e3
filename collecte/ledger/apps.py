from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "collecte.ledger"
    verbose_name = "Ledger"
