"""Sign-in, the second factor, the account page and sign-out."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from pcns import presenters
from pcns.accounts import services, throttle, two_factor
from pcns.accounts.forms import CodeForm, SetUpForm, SignInForm
from pcns.models import AuditAction

SIGN_IN_AGAIN = "Your sign-in was not finished in time. Sign in again."
TOO_MANY_CODES = "Too many wrong codes. Sign in again."


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next", "")
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return ""


def _sign_in_again(request: HttpRequest, message: str = SIGN_IN_AGAIN) -> HttpResponse:
    two_factor.abandon(request)
    messages.error(request, message)
    return redirect("pcns:sign-in")


@login_not_required
@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def sign_in(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("pcns:home")
    form = SignInForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        return two_factor.begin_second_factor(
            request, user=form.get_user(), method="password", next_url=_safe_next(request)
        )
    return render(
        request,
        "pcns/sign_in.jinja",
        {
            "form": form,
            "error_list": presenters.error_list(form),
            "next": request.GET.get("next", ""),
            "expired": "next" in request.GET,
        },
    )


@login_not_required
def admin_sign_in(request: HttpRequest) -> HttpResponse:
    """The Django admin signs in through our page: same throttling, two factors and audit."""
    next_url = _safe_next(request) or reverse("admin:index")
    return redirect(reverse("pcns:sign-in") + "?" + urlencode({"next": next_url}))


@login_not_required
@sensitive_post_parameters("code")
@csrf_protect
@never_cache
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    """The second page of signing in: a code from the app, or a recovery code."""
    if request.user.is_authenticated:
        return redirect("pcns:home")
    item = two_factor.pending(request, "verify")
    if item is None:
        return _sign_in_again(request)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"]
        if throttle.lockout(user_id=item.user.pk, address=throttle.client_address(request)):
            two_factor.audit_for(item.user, action=AuditAction.SIGN_IN_FAILED,
                                 note="refused: locked")
            return _sign_in_again(request, throttle.message())
        if two_factor.must_wait(item.user):
            form.add_error("code", "Wait a few seconds, then enter the code again")
        else:
            kind = two_factor.verify_code(item.user, code)
            if kind is not None:
                return two_factor.finish_sign_in(
                    request, user=item.user, method=f"{item.method}+{kind}",
                    next_url=item.next_url, two_factors=True,
                )
            if two_factor.count_wrong_code(request, item, kind=two_factor.code_kind(code)):
                return _sign_in_again(request, TOO_MANY_CODES)
            form.add_error(
                "code", "The code is not right. Enter the code shown in your authenticator "
                "app now, or one of your recovery codes",
            )
    return render(request, "accounts/two_factor_verify.jinja", {
        "form": form, "error_list": presenters.error_list(form),
    })


@login_not_required
@sensitive_post_parameters("code")
@csrf_protect
@never_cache
def two_factor_set_up(request: HttpRequest) -> HttpResponse:
    """Add an authenticator app: while signing in (when two factors are required and the user
    has none), or from the account page."""
    item = None
    if request.user.is_authenticated:
        user = request.user
    else:
        item = two_factor.pending(request, "set-up")
        if item is None:
            return _sign_in_again(request)
        user = item.user
    device = two_factor.setup_device(request, user)
    form = SetUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and not device.verify_is_allowed()[0]:
        form.add_error("code", "Wait a few seconds, then enter the code again")
    elif request.method == "POST" and form.is_valid():
        codes = two_factor.confirm_device(user=user, device=device, code=form.cleaned_data["code"])
        if codes is not None:
            next_url = reverse("pcns:account")
            if item is not None:
                two_factor.finish_sign_in(request, user=user, method=f"{item.method}+totp",
                                          next_url=item.next_url, two_factors=True)
                next_url = item.next_url or reverse("pcns:home")
            request.session.pop(two_factor.SETUP_DEVICE_KEY, None)
            two_factor.show_codes_once(request, codes, next_url)
            return redirect("pcns:recovery-codes")
        if item is not None and two_factor.count_wrong_code(request, item, kind="set-up code"):
            return _sign_in_again(request, TOO_MANY_CODES)
        form.add_error("code", "The code is not right. Enter the 6-digit code shown in the app "
                               "now")
    return render(request, "accounts/two_factor_set_up.jinja", {
        "form": form, "error_list": presenters.error_list(form),
        "qr_code": two_factor.qr_code_svg(device), "secret": two_factor.secret_text(device),
        "signing_in": item is not None,
        "replacing": item is None and two_factor.has_two_factor(user),
    })


@never_cache
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """New recovery codes, shown once (GET); or make a new set (POST)."""
    if request.method == "POST":
        if not two_factor.has_two_factor(request.user):
            return redirect("pcns:account")
        codes = two_factor.regenerate_recovery_codes(user=request.user)
        two_factor.show_codes_once(request, codes, reverse("pcns:account"))
        return redirect("pcns:recovery-codes")
    shown = two_factor.codes_to_show(request)
    if not shown:
        return redirect("pcns:account")
    return render(request, "accounts/recovery_codes.jinja", {
        "codes": shown["codes"], "next": shown["next"],
    })


@never_cache
def account(request: HttpRequest) -> HttpResponse:
    user = request.user
    return render(request, "accounts/account.jinja", {
        "has_two_factor": two_factor.has_two_factor(user),
        "required": two_factor.is_required(user, getattr(request, "membership", None)),
        "codes_left": two_factor.recovery_codes_left(user),
    })


@require_POST
def two_factor_turn_off(request: HttpRequest) -> HttpResponse:
    if two_factor.is_required(request.user, getattr(request, "membership", None)):
        raise PermissionDenied
    two_factor.turn_off(user=request.user, actor=request.user,
                        note="two-factor sign-in turned off")
    messages.success(request, "Two-factor sign-in is off")
    return redirect("pcns:account")


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    services.sign_out(request)
    return redirect("pcns:signed-out")


@login_not_required
def signed_out(request: HttpRequest) -> HttpResponse:
    return render(request, "pcns/signed_out.jinja")
