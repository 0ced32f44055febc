"""Placeholder until this module is written."""

from django.http import Http404


def onward_new(request, *args, **kwargs):
    raise Http404


def onward_detail(request, *args, **kwargs):
    raise Http404


def consent_withdraw(request, *args, **kwargs):
    raise Http404
