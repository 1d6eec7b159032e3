from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "collecte.api"
    label = "api"
