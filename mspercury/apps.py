from django.apps import AppConfig
from django.db.models.signals import post_migrate


class MspercuryConfig(AppConfig):
    name = "mspercury"
    verbose_name = "MSPercury"

    def ready(self):
        from mspercury import checks  # noqa: F401  (registers the database role checks)
        from mspercury.dbroles import grant_after_migrate

        post_migrate.connect(grant_after_migrate, sender=self, dispatch_uid="mspercury-grants")
