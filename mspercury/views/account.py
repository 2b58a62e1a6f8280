from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language, gettext_noop, override
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from mspercury import audit, ratelimit, tenancy
from mspercury.access import mark_2fa_verified
from mspercury.actions import do_signup
from mspercury.forms import CodeForm, LoginForm, ProfileForm, SignupForm
from mspercury.middleware import SESSION_WORKSPACE_KEY
from mspercury.models import User
from mspercury.texts import Text
from mspercury.twofactor import user_devices, verify_any_device

PENDING_USER_KEY = "mspercury_pending_user"
PENDING_NEXT_KEY = "mspercury_pending_next"


def _safe_next(request, default="dashboard"):
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None if default is None else redirect(default).url


def _set_language(response, language):
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        secure=not settings.DEBUG,
    )
    return response


def _complete_login(request, user, device=None):
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    if device is not None:
        from django_otp import login as otp_login

        otp_login(request, device)
        mark_2fa_verified(request)
    if user.last_workspace_id:
        with tenancy.workspace_context(user.last_workspace_id, user):
            _record_sign_in(request, user, device)
    target = request.session.pop(PENDING_NEXT_KEY, None) or _safe_next(request)
    return _set_language(HttpResponseRedirect(target), user.language)


def _record_sign_in(request, user, device) -> None:
    audit.record(
        request,
        user.last_workspace,
        "auth.sign_in",
        Text(gettext_noop("%(email)s signed in"), email=user.email),
        actor=user,
        two_factor=device is not None,
    )


@sensitive_post_parameters("password")
def signup(request):
    if request.user.is_authenticated:
        return redirect("dashboard")
    form = SignupForm(request.POST or None)
    if request.method == "POST":
        ip = audit.client_ip(request) or "unknown"
        if not ratelimit.hit("signup", ip, 10, 3600):
            messages.error(request, _("Too many sign-ups from your network. Try again later."))
        elif form.is_valid():
            data = form.cleaned_data
            user = do_signup(
                email=data["email"],
                password=data["password"],
                full_name=data["full_name"],
                workspace_name=data["workspace_name"],
                language=get_language() if get_language() in ("de", "en") else "en",
                request=request,
            )
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome! Start by filling in your workspace details."))
            return redirect("workspace_settings")
    return render(request, "mspercury/signup.html", {"form": form})


@sensitive_post_parameters("password")
def login_view(request):
    if request.user.is_authenticated:
        return redirect("dashboard")
    form = LoginForm(request.POST or None)
    limit, window = settings.MSPERCURY_LOGIN_RATE
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"].strip().lower()
        ip = audit.client_ip(request) or "unknown"
        if not (
            ratelimit.hit("login-ip", ip, limit * 3, window)
            and ratelimit.hit("login-email", email, limit, window)
        ):
            form.add_error(None, _("Too many sign-in attempts. Wait a few minutes and try again."))
        else:
            user = authenticate(request, username=email, password=form.cleaned_data["password"])
            if user is None:
                form.add_error(None, _("Email or password is wrong."))
            elif user_devices(user):
                request.session.cycle_key()
                request.session[PENDING_USER_KEY] = str(user.public_id)
                next_url = _safe_next(request, default=None)
                if next_url:
                    request.session[PENDING_NEXT_KEY] = next_url
                return redirect("login_verify")
            else:
                ratelimit.reset("login-email", email)
                return _complete_login(request, user)
    return render(
        request, "mspercury/login.html", {"form": form, "next": request.GET.get("next", "")}
    )


def login_verify(request):
    public_id = request.session.get(PENDING_USER_KEY)
    user = User.objects.filter(public_id=public_id, is_active=True).first() if public_id else None
    if user is None:
        return redirect("login")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not ratelimit.hit("2fa-login", str(user.public_id), 10, 300):
            form.add_error(None, _("Too many wrong codes. Wait a few minutes and try again."))
        else:
            device, throttled = verify_any_device(user, form.cleaned_data["code"])
            if device is not None:
                del request.session[PENDING_USER_KEY]
                return _complete_login(request, user, device)
            if throttled:
                form.add_error(None, _("Too many wrong codes. Wait a little before trying again."))
            else:
                form.add_error("code", _("That code is not valid. Check your app's clock."))
    return render(request, "mspercury/login_verify.html", {"form": form})


@require_POST
def logout_view(request):
    request.session.pop(SESSION_WORKSPACE_KEY, None)
    logout(request)
    return redirect("login")


@login_required
def profile(request):
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        with override(request.user.language):  # confirm in the language just chosen
            messages.success(request, _("Profile saved."))
        return _set_language(redirect("profile"), request.user.language)
    return render(request, "mspercury/profile.html", {"form": form})
