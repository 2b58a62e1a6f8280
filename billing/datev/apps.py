from django.apps import AppConfig


class DatevConfig(AppConfig):
    name = "billing.datev"
    label = "datev"
    verbose_name = "DATEV export"
