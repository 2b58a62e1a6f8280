from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"

    def ready(self):
        from integrations.push import notifications  # noqa: F401  (signal receivers)
