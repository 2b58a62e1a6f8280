"""Stored PDFs: rendered once by a Celery task, then served from the database byte for byte.

A ready document is never rendered again, so what a customer accepted stays exactly what we
serve, whatever happens later to the quote, the templates or the workspace's address.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DocumentStatus(models.TextChoices):
    PENDING = "pending", _("Being prepared")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")


class RenderedPdf(models.Model):
    status = models.CharField(
        max_length=10, choices=DocumentStatus.choices, default=DocumentStatus.PENDING
    )
    pdf = models.BinaryField(null=True, editable=False)
    sha256 = models.CharField(max_length=64, blank=True)
    size = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # When the rendering task was last queued (None: rendered in the request, or not yet).
    queued_at = models.DateTimeField(null=True, blank=True)
    rendered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def is_ready(self) -> bool:
        return self.status == DocumentStatus.READY

    @property
    def is_pending(self) -> bool:
        return self.status == DocumentStatus.PENDING


class DocumentKind(models.TextChoices):
    QUOTE = "quote", _("Quote")
    AGREEMENT = "agreement", _("Service agreement")


class QuoteDocument(RenderedPdf):
    """The PDF of one revision of a quote, or the agreement that followed its acceptance.

    ``snapshot`` is what it is rendered from, taken when it was requested; the same snapshot
    renders to the same bytes.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey("mspercury.Workspace", on_delete=models.CASCADE, related_name="+")
    quote = models.ForeignKey("quotes.Quote", on_delete=models.CASCADE, related_name="documents")
    revision = models.PositiveIntegerField()
    kind = models.CharField(max_length=10, choices=DocumentKind.choices)
    snapshot = models.JSONField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["quote", "revision", "kind"], name="one_document_per_quote_revision_kind"
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.quote_id} r{self.revision}"
