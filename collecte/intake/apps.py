from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "collecte.intake"
    label = "intake"
