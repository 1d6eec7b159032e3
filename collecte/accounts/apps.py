from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "collecte.accounts"
    label = "accounts"
