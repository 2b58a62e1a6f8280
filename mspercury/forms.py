from django import forms
from django.contrib.auth import password_validation
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from mspercury.models import UI_LANGUAGES, User
from mspercury.numbers import AmbiguousNumber, parse_decimal


class IsoDateInput(forms.DateInput):
    """A browser date picker: `type=date` inputs take and send ISO dates (YYYY-MM-DD) whatever
    the page's language, so the value is never rendered in the locale's date format."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class SignupForm(forms.Form):
    full_name = forms.CharField(label=_("Your name"), max_length=150)
    email = forms.EmailField(label=_("Work email"))
    password = forms.CharField(
        label=_("Password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 10 characters, not a common password."),
    )
    workspace_name = forms.CharField(
        label=_("Company (workspace) name"),
        max_length=200,
        help_text=_("Your MSP business. You can invite colleagues later."),
    )

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                _("An account with this email exists already. Sign in instead.")
            )
        return email

    def clean(self):
        cleaned = super().clean()
        password = cleaned.get("password")
        if password:
            probe = User(email=cleaned.get("email", ""), full_name=cleaned.get("full_name", ""))
            try:
                password_validation.validate_password(password, probe)
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return cleaned


class LoginForm(forms.Form):
    email = forms.EmailField(label=_("Email"))
    password = forms.CharField(
        label=_("Password"), widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from your authenticator app, or a backup code"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class TOTPCodeForm(forms.Form):
    code = forms.CharField(
        label=_("6-digit code from your authenticator app"),
        max_length=10,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class DisableTwoFactorForm(forms.Form):
    password = forms.CharField(
        label=_("Current password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    code = forms.CharField(
        label=_("Code from your authenticator app, or a backup code"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code"}),
    )


class ProfileForm(forms.ModelForm):
    language = forms.ChoiceField(label=_("Language"), choices=UI_LANGUAGES)
    mail_kinds = forms.MultipleChoiceField(
        label=_("Notifications by email"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Unticked kinds still show in the bell. Quotes you created tell you when the "
            "customer accepts or declines them, and when their push or contract change fails."
        ),
    )

    class Meta:
        model = User
        fields = ["full_name", "language"]

    def __init__(self, *args, **kwargs):
        from mspercury.models import Notification

        super().__init__(*args, **kwargs)
        self.kinds = [value for value, _label in Notification.Kind.choices]
        self.fields["mail_kinds"].choices = Notification.Kind.choices
        self.fields["mail_kinds"].initial = [
            kind for kind in self.kinds if self.instance.wants_mail(kind)
        ]

    def save(self, commit=True):
        wanted = set(self.cleaned_data["mail_kinds"])
        self.instance.mail_muted_kinds = [kind for kind in self.kinds if kind not in wanted]
        return super().save(commit)


class WorkspaceCreateForm(forms.Form):
    name = forms.CharField(label=_("Workspace name"), max_length=200)


class LocalDecimalField(forms.DecimalField):
    """A decimal typed into a text input (`inputmode=decimal`: a number pad on phones) and read
    on the server with the user's decimal mark (mspercury.numbers), never by the browser."""

    default_error_messages = {
        "ambiguous": _(
            "“%(value)s” is ambiguous: write %(plain)s for the whole number, or use "
            "“%(mark)s” as the decimal mark."
        ),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("localize", True)
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.pop("step", None)
        return {**attrs, "inputmode": "decimal", "autocomplete": "off"}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        mark = formats.get_format("DECIMAL_SEPARATOR")
        text = str(value).strip()
        try:
            return parse_decimal(text, mark)
        except AmbiguousNumber:
            plain = "".join(ch for ch in text if ch.isdigit())
            raise forms.ValidationError(
                self.error_messages["ambiguous"],
                code="ambiguous",
                params={"value": text, "plain": plain, "mark": mark},
            ) from None
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
