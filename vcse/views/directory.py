"""Placeholder until this module is written."""

from django.http import Http404


def service_list(request, *args, **kwargs):
    raise Http404


def service_new(request, *args, **kwargs):
    raise Http404


def service_detail(request, *args, **kwargs):
    raise Http404


def service_edit(request, *args, **kwargs):
    raise Http404
