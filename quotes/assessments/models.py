"""The questionnaire of a workspace, assessments, answers, findings and report PDFs.

Imported by ``quotes.models`` so Django registers these models in the quotes app.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from quotes.assessments import domain
from quotes.pdf_models import RenderedPdf


class Severity(models.TextChoices):
    LOW = domain.LOW, _("Low")
    MEDIUM = domain.MEDIUM, _("Medium")
    HIGH = domain.HIGH, _("High")
    CRITICAL = domain.CRITICAL, _("Critical")


class Answer(models.TextChoices):
    YES = domain.YES, _("Yes")
    PARTLY = domain.PARTLY, _("Partly")
    NO = domain.NO, _("No")
    UNKNOWN = domain.UNKNOWN, _("Unknown")
    NOT_APPLICABLE = domain.NOT_APPLICABLE, _("Not applicable")


class AssessmentCategory(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(
        "mspercury.Workspace", on_delete=models.CASCADE, related_name="assessment_categories"
    )
    # The built-in category this one was seeded from ("backup", …); blank for added ones.
    key = models.CharField(max_length=40, blank=True)
    name = models.CharField(_("name"), max_length=120)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name_plural = "assessment categories"

    def __str__(self):
        return self.name


class AssessmentQuestion(models.Model):
    """A question of the workspace's questionnaire; a risky answer creates a finding."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey("mspercury.Workspace", on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey(
        AssessmentCategory, on_delete=models.PROTECT, related_name="questions"
    )
    key = models.CharField(max_length=40, blank=True)
    text = models.CharField(_("question"), max_length=300)
    help_text = models.CharField(_("hint for the assessor"), max_length=300, blank=True)
    risky_answers = models.JSONField(_("risky answers"), default=list)
    severity = models.CharField(
        _("severity"), max_length=10, choices=Severity.choices, default=Severity.MEDIUM
    )
    finding_title = models.CharField(_("finding"), max_length=200)
    recommendation = models.TextField(_("recommendation"), blank=True)
    service = models.ForeignKey(
        "quotes.Service",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("service that fixes it"),
    )
    position = models.PositiveIntegerField(default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["category__position", "category_id", "position", "id"]

    def __str__(self):
        return self.text


class AssessmentStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")


class Assessment(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(
        "mspercury.Workspace", on_delete=models.CASCADE, related_name="assessments"
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="assessments"
    )
    project = models.ForeignKey(
        "customers.Project",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assessments",
    )
    title = models.CharField(_("title"), max_length=200, blank=True)
    performed_on = models.DateField(_("date of the assessment"))
    status = models.CharField(
        max_length=12, choices=AssessmentStatus.choices, default=AssessmentStatus.IN_PROGRESS
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-performed_on", "-id"]
        indexes = [models.Index(fields=["workspace", "performed_on"])]

    def __str__(self):
        return self.title or f"{self.customer} {self.performed_on}"


class AssessmentAnswer(models.Model):
    workspace = models.ForeignKey("mspercury.Workspace", on_delete=models.CASCADE, related_name="+")
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(AssessmentQuestion, on_delete=models.PROTECT, related_name="+")
    value = models.CharField(max_length=10, choices=Answer.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "question"], name="one_answer_per_question"
            )
        ]

    def __str__(self):
        return f"{self.question_id}: {self.value}"


class FindingStatus(models.TextChoices):
    OPEN = "open", _("Open")
    RESOLVED = "resolved", _("Resolved")


def finding_photo_path(finding, filename: str) -> str:
    """A random name under the workspace: nothing of the upload's own name is kept."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "jpg"
    return f"assessments/{finding.workspace.public_id}/{uuid.uuid4().hex}.{extension}"


class Finding(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey("mspercury.Workspace", on_delete=models.CASCADE, related_name="+")
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="findings")
    question = models.ForeignKey(
        AssessmentQuestion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    title = models.CharField(_("finding"), max_length=200)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    notes = models.TextField(_("notes"), blank=True)
    photo = models.ImageField(_("photo"), upload_to=finding_photo_path, blank=True)
    service = models.ForeignKey(
        "quotes.Service",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("service that fixes it"),
    )
    status = models.CharField(
        max_length=10, choices=FindingStatus.choices, default=FindingStatus.OPEN
    )
    # The quote this finding was turned into, if any.
    quote = models.ForeignKey(
        "quotes.Quote", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "question"],
                condition=Q(question__isnull=False),
                name="one_finding_per_question",
            )
        ]

    def __str__(self):
        return self.title

    @property
    def severity_rank(self) -> int:
        return domain.severity_rank(self.severity)

    @property
    def touched(self) -> bool:
        """Someone worked on it: removing it silently would lose that work."""
        return bool(self.notes or self.photo or self.quote_id)


class AssessmentReport(RenderedPdf):
    """A report PDF of an assessment as it was when requested."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey("mspercury.Workspace", on_delete=models.CASCADE, related_name="+")
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="reports")
    # The assessment's updated_at when requested: a later change makes the report outdated.
    source_updated_at = models.DateTimeField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"Report of {self.assessment_id}"
