from django.apps import AppConfig


class MspercuryConfig(AppConfig):
    name = "mspercury"
    verbose_name = "MSPercury"
