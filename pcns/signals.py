"""Signals other apps listen to, so pcns need not import them."""

from django.dispatch import Signal

#: Sent after the commit of a transaction that created, changed or deleted records of a tenant
#: (anything audited as such), with ``tenant_id``. reporting queues a metrics refresh on it.
records_changed = Signal()
