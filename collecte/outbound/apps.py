from django.apps import AppConfig


class OutboundConfig(AppConfig):
    name = "collecte.outbound"
    label = "outbound"
