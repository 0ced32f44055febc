"""Placeholder until this module is written."""

from django.http import Http404


def inbox(request, *args, **kwargs):
    raise Http404


def inbox_detail(request, *args, **kwargs):
    raise Http404


def accept(request, *args, **kwargs):
    raise Http404


def decline(request, *args, **kwargs):
    raise Http404


def contact_new(request, *args, **kwargs):
    raise Http404


def close(request, *args, **kwargs):
    raise Http404
