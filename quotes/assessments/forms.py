from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.forms import CustomerProjectFields, by_public_id
from customers.models import Customer, Project
from quotes.assessments.models import (
    Answer,
    AssessmentCategory,
    FindingStatus,
    Severity,
)
from quotes.assessments.photos import MAX_UPLOAD_BYTES, PhotoError, prepare_photo
from quotes.models import Service


def _services(workspace, current=None):
    """Active services of the workspace, plus the one already chosen even if inactive."""
    services = Service.objects.filter(workspace=workspace, active=True)
    if current is not None:
        services = services | Service.objects.filter(pk=current.pk, workspace=workspace)
    return services.order_by("name", "id")


class AssessmentCreateForm(CustomerProjectFields, forms.Form):
    customer = by_public_id(Customer.objects.none(), label=_("Customer"))
    project = by_public_id(
        Project.objects.none(),
        label=_("Project"),
        required=False,
        help_text=_("Optional: the site assessed; its counts set the quantities of a quote."),
    )
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    performed_on = forms.DateField(
        label=_("Date of the assessment"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        initial=timezone.localdate,
    )

    def __init__(self, *args, workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.scope_to_workspace(workspace)


class AnswersForm(forms.Form):
    """One radio group and one note per question, named by the question's public id."""

    def __init__(self, *args, questions, answers, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = questions
        for q in questions:
            answer = answers.get(q.pk)
            self.fields[f"answer-{q.public_id}"] = forms.ChoiceField(
                label=q.text,
                choices=[("", _("Not answered")), *Answer.choices],
                required=False,
                widget=forms.RadioSelect,
                initial=answer.value if answer else "",
            )
            self.fields[f"note-{q.public_id}"] = forms.CharField(
                label=_("Note"),
                max_length=500,
                required=False,
                initial=answer.note if answer else "",
            )

    def rows(self):
        """(question, answer field, note field) in questionnaire order."""
        return [
            (q, self[f"answer-{q.public_id}"], self[f"note-{q.public_id}"]) for q in self.questions
        ]

    def answers(self) -> dict:
        """{question: (value, note)} from the cleaned data."""
        data = self.cleaned_data
        return {
            q: (data[f"answer-{q.public_id}"], data[f"note-{q.public_id}"].strip())
            for q in self.questions
        }


class FindingForm(forms.Form):
    title = forms.CharField(label=_("Finding"), max_length=200)
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices)
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    service = by_public_id(
        Service.objects.none(),
        label=_("Service that fixes it"),
        required=False,
        help_text=_("“Create quote from findings” adds this service as a line."),
    )
    status = forms.ChoiceField(label=_("Status"), choices=FindingStatus.choices)
    photo = forms.FileField(
        label=_("Photo"),
        required=False,
        help_text=_("JPEG, PNG or WebP, up to %(mb)s MB.") % {"mb": MAX_UPLOAD_BYTES // 2**20},
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    remove_photo = forms.BooleanField(label=_("Remove the photo"), required=False)

    def __init__(self, *args, workspace, current_service=None, with_status=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = _services(workspace, current_service)
        if not with_status:
            del self.fields["status"]
            del self.fields["remove_photo"]

    def clean_photo(self):
        upload = self.cleaned_data.get("photo")
        if not upload:
            return None
        try:
            return prepare_photo(upload)
        except PhotoError as exc:
            raise forms.ValidationError(str(exc)) from None

    def finding_fields(self) -> dict:
        data = self.cleaned_data
        names = ["title", "severity", "notes", "service"]
        if "status" in self.fields:
            names.append("status")
        return {name: data[name] for name in names}


class QuestionForm(forms.Form):
    category = by_public_id(AssessmentCategory.objects.none(), label=_("Category"))
    text = forms.CharField(label=_("Question"), max_length=300)
    help_text = forms.CharField(label=_("Hint for the assessor"), max_length=300, required=False)
    risky_answers = forms.MultipleChoiceField(
        label=_("Risky answers"),
        choices=[(v, label) for v, label in Answer.choices if v != Answer.NOT_APPLICABLE],
        widget=forms.CheckboxSelectMultiple,
        help_text=_("These answers create a finding."),
    )
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices)
    finding_title = forms.CharField(label=_("Finding"), max_length=200)
    recommendation = forms.CharField(
        label=_("Recommendation"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    service = by_public_id(Service.objects.none(), label=_("Service that fixes it"), required=False)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, workspace, current_service=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = AssessmentCategory.objects.filter(workspace=workspace)
        self.fields["service"].queryset = _services(workspace, current_service)


class CategoryForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
