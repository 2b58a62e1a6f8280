from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"

    def ready(self):
        from billing import edge
        from integrations.mirror.edge import StripeEdge
        from integrations.push import notifications  # noqa: F401  (signal receivers)

        edge.register(StripeEdge())  # billing asks the edge; it never imports it
