"""Placeholder until this module is written."""

from django.http import Http404


def activity(request, *args, **kwargs):
    raise Http404


def activity_csv(request, *args, **kwargs):
    raise Http404
