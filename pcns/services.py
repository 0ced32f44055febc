"""Writes for tenancy and the audit log. Every write goes through a function here."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction

from pcns.models import AuditAction, AuditEvent, User
from pcns.signals import records_changed
from pcns.tenancy import require_tenant_id

#: Audited actions that change records (and so the metrics built on them).
CHANGES = frozenset({AuditAction.CREATE, AuditAction.CHANGE, AuditAction.DELETE})


def records_changed_on_commit(tenant_id: Any) -> None:
    """Announce, once the current transaction commits, that the tenant's records changed."""
    transaction.on_commit(lambda: records_changed.send(sender=AuditEvent, tenant_id=tenant_id))


def audit_record(
    *,
    actor: User | None,
    action: AuditAction | str,
    target: models.Model | None = None,
    target_type: str = "",
    target_id: Any = "",
    fields: Iterable[str] = (),
    note: str = "",
    actor_label: str = "",
) -> AuditEvent:
    """Append an audit event for the current tenant.

    Call it inside the transaction of the change it records, so both commit or neither does.
    ``fields`` names what changed; values are never stored, so no patient data lands here.
    """
    if target is not None:
        target_type = target._meta.label_lower
        target_id = target.pk
    label = actor_label or (actor.get_full_name() or actor.email if actor else "system")
    tenant_id = require_tenant_id()
    if action in CHANGES:
        records_changed_on_commit(tenant_id)
    return AuditEvent.objects.create(
        tenant_id=tenant_id,
        actor=actor if actor and actor.is_authenticated else None,
        actor_label=label[:200],
        action=str(action),
        target_type=target_type,
        target_id=str(target_id or ""),
        fields=sorted(fields),
        note=note[:300],
    )


@transaction.atomic
def audit_view(*, actor: User, target: models.Model, note: str = "") -> AuditEvent:
    """Record that ``actor`` was shown ``target`` (a person's record, a referral, a timeline)."""
    return audit_record(actor=actor, action=AuditAction.VIEW, target=target, note=note)


@dataclass(frozen=True)
class Viewed:
    """One thing a request showed, known by its model label and id."""

    target_type: str
    target_id: str
    note: str = ""


def audit_views(
    *, actor: User, targets: Iterable[models.Model | Viewed], note: str = ""
) -> int:
    """Record that ``actor`` was shown each of ``targets`` (a page, a list), in one insert.

    Requests call it through pcns.audit (``audit_shown``), which gathers all a request showed.
    """
    tenant_id = require_tenant_id()
    label = (actor.get_full_name() or actor.email)[:200]
    rows = []
    for target in targets:
        if not isinstance(target, Viewed):
            target = Viewed(target._meta.label_lower, str(target.pk), note)
        rows.append(AuditEvent(tenant_id=tenant_id, actor=actor, actor_label=label,
                               action=AuditAction.VIEW, target_type=target.target_type,
                               target_id=target.target_id, note=target.note[:300]))
    if not rows:
        return 0
    return len(AuditEvent.objects.bulk_create(rows))


@transaction.atomic
def audited_save(
    *, instance: models.Model, actor: User, changed: Iterable[str] | None = None, note: str = ""
) -> models.Model:
    """Save ``instance`` (create or change) and append the audit event in one transaction.

    Used by the tenant admin screens; domain services in later apps write their own events.
    """
    creating = instance._state.adding
    if creating:
        tenant = getattr(instance, "tenant_id", None)
        if tenant is None and hasattr(instance, "tenant_id"):
            instance.tenant_id = require_tenant_id()
        instance.save()
    else:
        concrete = {f.name for f in instance._meta.concrete_fields}
        changed = [name for name in (changed or ()) if name in concrete]
        if not changed:
            return instance
        instance.save(update_fields=changed)
    audit_record(
        actor=actor,
        action=AuditAction.CREATE if creating else AuditAction.CHANGE,
        target=instance,
        fields=changed or (),
        note=note,
    )
    return instance


@transaction.atomic
def audited_delete(*, instance: models.Model, actor: User) -> None:
    target_type, target_id = instance._meta.label_lower, instance.pk
    instance.delete()
    audit_record(
        actor=actor, action=AuditAction.DELETE, target_type=target_type, target_id=target_id
    )


def membership_sync_staff_flag(*, membership) -> None:
    """Tenant administrators use the admin site; nobody else from a tenant does."""
    user = membership.user
    should_be_staff = user.is_superuser or (
        membership.role == "tenant_admin" and membership.is_active
    )
    if user.is_staff != should_be_staff:
        user.is_staff = should_be_staff
        user.save(update_fields=["is_staff"])
