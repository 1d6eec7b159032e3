from django.apps import AppConfig


class ExpensesConfig(AppConfig):
    name = "collecte.expenses"
    verbose_name = "Expenses"
