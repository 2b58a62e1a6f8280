from django import forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from mspercury.models import Role, User


def _role_choices(roles):
    return [(value, label) for value, label in Role.choices if value in roles]


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Email"))
    role = forms.ChoiceField(label=_("Role"))

    def __init__(self, *args, roles, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = _role_choices(roles)
        self.fields["role"].initial = Role.MEMBER

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"))

    def __init__(self, *args, roles, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = _role_choices(roles)


class InviteSignupForm(forms.Form):
    """Account for an invited person; the email is fixed by the invite."""

    full_name = forms.CharField(label=_("Your name"), max_length=150)
    password = forms.CharField(
        label=_("Password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 10 characters, not a common password."),
    )

    def __init__(self, *args, email, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self):
        cleaned = super().clean()
        password = cleaned.get("password")
        if password:
            probe = User(email=self.email, full_name=cleaned.get("full_name", ""))
            try:
                password_validation.validate_password(password, probe)
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return cleaned
