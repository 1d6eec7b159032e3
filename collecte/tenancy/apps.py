from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "collecte.tenancy"
    label = "tenancy"
