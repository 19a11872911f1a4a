from django.apps import AppConfig


class CoklitConfig(AppConfig):
    name = "coklit"
    verbose_name = "Coklit"
