from django.apps import AppConfig


class QuotesConfig(AppConfig):
    name = "quotes"

    def ready(self):
        # Its tasks register themselves with the document store (quotes.stored_documents).
        from quotes import tasks  # noqa: F401
