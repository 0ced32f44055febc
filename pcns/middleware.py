"""Request middleware: tenant context from the signed-in user, and sign-in required by default."""

from __future__ import annotations

from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.utils.cache import add_never_cache_headers

from pcns.tenancy import activate_for_request, deactivate


class TenantContextMiddleware:
    """Set the tenant context for the whole request from the user's membership, and clear it
    afterwards so a pooled connection never carries one request's tenant into the next."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = None
        request.tenant = None
        try:
            if request.user.is_authenticated:
                activate_for_request(request, request.user)
            return self.get_response(request)
        finally:
            deactivate()


class SignInRequiredMiddleware(LoginRequiredMiddleware):
    """Every page needs a signed-in user unless its view says otherwise.

    The API authenticates inside DRF (sessions or tokens) and answers 401/403 in its own error
    shape, so it is left to DRF; static files are served before this runs.
    """

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path_info.startswith("/api/"):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


class NoStoreWhenSignedInMiddleware:
    """Every response to a signed-in user is `Cache-Control: no-store`: pages and API answers
    show patient data, which must not stay in the browser's cache (or the back button's) after
    sign-out. Static files are served before this runs and keep their long cache.

    Read after the view, so a user the API authenticated by token counts too.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
        return response


class HealthCheckMiddleware:
    """`GET /health/` for load balancers and container health checks.

    Placed first, so it answers before host validation and the HTTPS redirect (health checks call
    the container on its own address over plain HTTP). It reveals nothing but "ok".
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info != "/health/":
            return self.get_response(request)
        from django.core.cache import cache
        from django.db import connection
        from django.http import HttpResponse

        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            cache.get("health-check")
        except Exception:  # any failure means "not healthy"; the detail goes to the log
            import logging

            logging.getLogger(__name__).exception("health check failed")
            return HttpResponse("unavailable", status=503, content_type="text/plain")
        return HttpResponse("ok", content_type="text/plain")


#: Paths that answer JSON, so a refusal is JSON too (the API's error shape).
JSON_PREFIXES = ("/api/", "/open-referral/")


class QueryLimitsMiddleware:
    """Refuse with a 400 a path or query string holding a control character, or a query value
    longer than ``config.limits.QUERY_VALUE``.

    Query strings reach filters, searches and the admin's lists, which pass them to the
    database, where a NUL byte is an error (a 500) rather than no match. Form bodies are left to
    the forms, which show an inline error on the field instead.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        problem = _query_problem(request)
        if problem is None:
            return self.get_response(request)
        if request.path_info.startswith(JSON_PREFIXES):
            from django.http import JsonResponse

            from config.api.errors import error_body

            return JsonResponse(error_body(problem), status=400)
        from pcns.views import bad_request

        return bad_request(request, message=problem)


def _query_problem(request) -> str | None:
    from config.limits import QUERY_VALUE, has_control_characters

    if has_control_characters(request.path_info, multiline=False):
        return "The web address must not contain control characters (such as a NUL byte)."
    for name, values in request.GET.lists():
        for text in (name, *values):
            if has_control_characters(text, multiline=False):
                return ("The web address must not contain control characters "
                        "(such as a NUL byte).")
            if len(text) > QUERY_VALUE:
                return f"Each value in the web address must be {QUERY_VALUE:,} characters or fewer."
    return None
