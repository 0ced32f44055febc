"""API view plumbing shared by every app: permission refusal, reading a request through an input
serializer, renaming a service's field errors, the one-record operation view, and the schema of
an action. Nothing domain-specific."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.parsers import JSONParser
from rest_framework.views import APIView

from pcns.audit import audit_shown


class ErrorOutput(serializers.Serializer):
    """The API's one error shape (config.api.errors)."""

    message = serializers.CharField()
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


def require(allowed: bool, message: str = "You do not have permission to do this.") -> None:
    """403 in the API's error shape unless ``allowed`` (the record was fetched already)."""
    if not allowed:
        raise exceptions.PermissionDenied(message)


def read_input(serializer_class, request, **kwargs) -> dict:
    """The request body checked by an input serializer (400 with field errors otherwise)."""
    data = serializer_class(data=request.data, context={"request": request}, **kwargs)
    data.is_valid(raise_exception=True)
    return dict(data.validated_data)


@contextlib.contextmanager
def errors_named(**names: str) -> Iterator[None]:
    """Answer a service's field errors under the names the request used for those fields."""
    try:
        yield
    except ValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise
        raise ValidationError(
            {names.get(field, field): errors for field, errors in exc.error_dict.items()}
        ) from None


class OnRecordView(APIView):
    """An operation on one record. The record is fetched before the method is dispatched, so
    an id the caller cannot see answers 404 whatever the method (never 405)."""

    parser_classes = [JSONParser]

    def fetch(self, user, pk):
        raise NotImplementedError

    def initial(self, request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)
        self.record = self.fetch(request.user, kwargs["pk"])

    def _input(self, serializer_class) -> dict:
        return read_input(serializer_class, self.request)


def action_schema(summary: str, description: str, request, output, *, conflict: bool = True,
                  created: bool = False):
    """The schema of an operation on one record: its output, or the error shape for 400, 403,
    404 and (unless ``conflict=False``) a stale ``version``'s 409."""
    responses = {201 if created else 200: output, 400: ErrorOutput, 403: ErrorOutput,
                 404: ErrorOutput}
    if conflict:
        responses[409] = ErrorOutput
    return extend_schema(summary=summary, description=description, request=request,
                         responses=responses)


class AuditedListMixin:
    """A list endpoint that shows people's data: the page of rows it returns is audited as read
    (pcns.audit, one insert per request). ``audit_targets`` maps the rows to what they show."""

    audit_note = ""

    def audit_targets(self, rows):
        return rows

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        if page is not None:
            audit_shown(self.request, self.audit_targets(page), note=self.audit_note)
        return page
