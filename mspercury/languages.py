"""Which language a customer reads: theirs when the documents speak it, else English."""

from django.conf import settings


def document_language(language: str) -> str:
    """The customer's language if their share page and documents speak it, else English.

    Wider than the staff interface's ``LANGUAGES``: ``MSPERCURY_DOCUMENT_LANGUAGES``. Text
    without a translation in that language reads in English.
    """
    return language if language in settings.MSPERCURY_DOCUMENT_LANGUAGES else "en"
