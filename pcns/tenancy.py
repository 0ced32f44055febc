"""The tenant context: which place the current request or task acts for.

The context is held in a context variable (so it follows the thread or async task) and mirrored
into the PostgreSQL session settings ``app.tenant_id`` and ``app.user_id``, which the row-level
security policies read (pcns/rls.py). A connection opened while a context is active gets the
settings at once (``connection_created``), so a reconnect cannot drop them.

With no context, tenant-owned tables answer no rows at all: forgetting to set it fails closed.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import connection
from django.db.backends.signals import connection_created
from django.dispatch import receiver

if TYPE_CHECKING:
    from django.http import HttpRequest

    from pcns.models import Membership, User


@dataclass(frozen=True)
class TenantState:
    tenant_id: uuid.UUID | None = None
    user_id: uuid.UUID | None = None


_EMPTY = TenantState()
_state: ContextVar[TenantState] = ContextVar("tenant_state", default=_EMPTY)


def current_tenant_id() -> uuid.UUID | None:
    return _state.get().tenant_id


def require_tenant_id() -> uuid.UUID:
    tenant_id = current_tenant_id()
    if tenant_id is None:
        raise RuntimeError("No tenant context is active.")
    return tenant_id


def _apply(state: TenantState, conn=None) -> None:
    conn = conn or connection
    if conn.vendor != "postgresql":
        return
    if conn.in_atomic_block and conn.needs_rollback:
        # The transaction is failing; rolling it back restores the earlier settings anyway.
        return
    if conn.connection is None and state == _EMPTY:
        return  # nothing to clear on a connection that is not open
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('app.tenant_id', %s, false), set_config('app.user_id', %s, false)",
            [str(state.tenant_id or ""), str(state.user_id or "")],
        )


@receiver(connection_created)
def _on_connection_created(sender, connection, **kwargs) -> None:
    state = _state.get()
    if state != _EMPTY:
        _apply(state, connection)


@contextlib.contextmanager
def tenant_context(
    tenant_id: uuid.UUID | str | None, *, user_id: uuid.UUID | str | None = None
) -> Iterator[None]:
    """Act for ``tenant_id`` (and optionally ``user_id``) inside the block; restore afterwards."""
    state = TenantState(
        uuid.UUID(str(tenant_id)) if tenant_id else None,
        uuid.UUID(str(user_id)) if user_id else None,
    )
    token = _state.set(state)
    _apply(state)
    try:
        yield
    finally:
        _state.reset(token)
        _apply(_state.get())


def tenant_id_for_slug(slug: str) -> uuid.UUID | None:
    """The id of the tenant with this slug, for operators' commands (``--tenant sheffield``)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT app_tenant_id_for_slug(%s)", [slug])
        row = cursor.fetchone()
    return row[0] if row and row[0] else None


def all_tenant_ids() -> list[uuid.UUID]:
    """Every tenant's id, for platform jobs that queue one task per tenant."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT app_tenant_ids()")
        return [row[0] for row in cursor.fetchall()]


def activate(tenant_id: uuid.UUID | None, user_id: uuid.UUID | None = None) -> None:
    """Set the context without a block (requests: the middleware clears it at the end)."""
    state = TenantState(tenant_id, user_id)
    _state.set(state)
    _apply(state)


def deactivate() -> None:
    _state.set(_EMPTY)
    _apply(_EMPTY)


def membership_for(user: User) -> Membership | None:
    """The user's active membership, read under the user's own context.

    The membership table's policy also shows a user their own row (``app.user_id``), which is
    how we learn their tenant before any tenant context exists.
    """
    from pcns.models import Membership

    if not user.is_authenticated:
        return None
    activate(None, user.pk)
    tenant_id = (
        Membership.objects.filter(user_id=user.pk, is_active=True, user__is_active=True)
        .values_list("tenant_id", flat=True)
        .first()
    )
    if tenant_id is None:
        deactivate()
        return None
    # Only now may the tenant and organisation rows be read.
    activate(tenant_id, user.pk)
    membership = Membership.objects.select_related("tenant", "employer").get(user_id=user.pk)
    user.membership = membership
    return membership


def activate_for_request(request: HttpRequest, user: User) -> Membership | None:
    """Set the tenant context for a request from the signed-in user's membership."""
    cached = getattr(request, "_membership_cache", None)
    if cached is not None and cached.user_id == user.pk:
        activate(cached.tenant_id, user.pk)
        return cached
    membership = membership_for(user)
    request._membership_cache = membership
    request.membership = membership
    request.tenant = membership.tenant if membership else None
    return membership
