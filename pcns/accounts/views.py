"""Sign-in and sign-out pages."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from pcns import presenters
from pcns.accounts import services
from pcns.accounts.forms import SignInForm


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next", "")
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return ""


@login_not_required
@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def sign_in(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("pcns:home")
    form = SignInForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.complete_sign_in(request, user=form.get_user(), method="password")
        return redirect(_safe_next(request) or "pcns:home")
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


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    services.sign_out(request)
    return redirect("pcns:signed-out")


@login_not_required
def signed_out(request: HttpRequest) -> HttpResponse:
    return render(request, "pcns/signed_out.jinja")
