from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "collecte.web"
    label = "web"
