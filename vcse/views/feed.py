"""Placeholder until this module is written."""

from django.http import Http404


def index(request, *args, **kwargs):
    raise Http404


def services(request, *args, **kwargs):
    raise Http404


def service(request, *args, **kwargs):
    raise Http404
