"""Single sign-on by OpenID Connect, the way NHS Care Identity Service 2 (CIS2) works.

The authorisation code flow with PKCE (S256), a state and a nonce kept in the person's session,
and the ID token checked before anything else: its signature against the provider's published
keys (JWKS), its issuer, audience, expiry and nonce. Authlib does the protocol; this module
decides who may come in.

No account is made on the fly. The token's subject must already be linked to an active
membership of the tenant, or (where the tenant allows it) the provider's verified email must
equal the email of an active membership there, which then links the subject. Anything else is
refused, with an audit row in that tenant.
"""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass
from typing import Any

from authlib.common.errors import AuthlibBaseError
from authlib.integrations.django_client import DjangoIntegration, DjangoOAuth2App
from django.db import IntegrityError, connection, transaction
from django.http import HttpRequest
from django.utils import timezone
from joserfc.errors import JoseError
from requests import RequestException

from pcns.models import AuditAction, Membership, SingleSignOn, SingleSignOnIdentity, User
from pcns.services import audit_record

log = logging.getLogger(__name__)

#: Seconds to wait for the provider (discovery, keys, token endpoint).
PROVIDER_TIMEOUT = 10
#: Clock skew allowed on the ID token's times.
LEEWAY_SECONDS = 60


class SignOnRefused(Exception):
    """Single sign-on did not let this person in; ``reason`` is a short code for the audit."""

    def __init__(self, reason: str, *, subject: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.subject = subject


@dataclass(frozen=True)
class SignOnLink:
    slug: str
    tenant_name: str
    display_name: str


def sign_in_links() -> list[SignOnLink]:
    """The places whose single sign-on is on, for the sign-in page (no tenant context yet)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT slug, name, display_name FROM app_sso_tenants()")
        return [SignOnLink(*row) for row in cursor.fetchall()]


def enabled_sso(tenant_id: uuid.UUID) -> SingleSignOn | None:
    """The tenant's single sign-on when it is on (call inside that tenant's context)."""
    return SingleSignOn.objects.select_related("tenant").filter(
        tenant_id=tenant_id, enabled=True
    ).first()


def _client(sso: SingleSignOn) -> DjangoOAuth2App:
    name = f"sso-{sso.tenant.slug}"
    return DjangoOAuth2App(
        DjangoIntegration(name),
        name=name,
        client_id=sso.client_id,
        client_secret=sso.client_secret,
        server_metadata_url=sso.discovery_url,
        client_kwargs={
            "scope": sso.scopes,
            "code_challenge_method": "S256",
            "token_endpoint_auth_method": "client_secret_post",
            "default_timeout": PROVIDER_TIMEOUT,
        },
    )


def _metadata(client: DjangoOAuth2App, sso: SingleSignOn) -> dict[str, Any]:
    metadata = client.load_server_metadata()
    if metadata.get("issuer") != sso.issuer:
        # OpenID Connect Discovery 1.0, section 4.3: the document must name the issuer we asked.
        raise SignOnRefused("discovery issuer mismatch")
    return metadata


def authorisation_redirect_url(
    request: HttpRequest, *, sso: SingleSignOn, redirect_uri: str
) -> str:
    """Where to send the browser to sign in at the provider. The state, nonce and PKCE verifier
    are kept in the session for the callback."""
    client = _client(sso)
    try:
        _metadata(client, sso)
        created = client.create_authorization_url(redirect_uri)
    except (RequestException, ValueError, KeyError, RuntimeError, AuthlibBaseError) as error:
        # Unreachable, or a discovery document without what we need (keys, endpoints).
        log.warning("single sign-on: provider unreachable for tenant %s: %s",
                    sso.tenant.slug, type(error).__name__)
        raise SignOnRefused("provider unreachable") from error
    if "nonce" not in created or "code_verifier" not in created:
        raise SignOnRefused("no nonce or PKCE")  # scopes without openid, or no S256
    client.save_authorize_data(request, redirect_uri=redirect_uri, **created)
    return created["url"]


def verify_id_token(
    *, sso: SingleSignOn, token: dict[str, Any], nonce: str,
    client: DjangoOAuth2App | None = None,
) -> dict[str, Any]:
    """The ID token's claims, once its signature (against the provider's JWKS), issuer,
    audience, expiry, issue time, nonce and access-token hash all check out."""
    if not token.get("id_token"):
        raise SignOnRefused("no ID token")
    if not nonce:
        raise SignOnRefused("no nonce")
    client = client or _client(sso)
    try:
        _metadata(client, sso)
        claims = client.parse_id_token(
            token,
            nonce=nonce,
            claims_options={
                "iss": {"essential": True, "values": [sso.issuer]},
                "aud": {"essential": True, "values": [sso.client_id]},
                "sub": {"essential": True},
                "exp": {"essential": True},
                "nonce": {"essential": True},
            },
            leeway=LEEWAY_SECONDS,
        )
    except (JoseError, ValueError) as error:
        raise SignOnRefused(f"ID token refused: {type(error).__name__}") from error
    except (RequestException, KeyError, RuntimeError, AuthlibBaseError) as error:
        raise SignOnRefused("provider unreachable") from error
    return dict(claims)


def sign_on_started(request: HttpRequest, *, tenant_slug: str) -> bool:
    """Whether this browser started a single sign-on to the tenant (holds a saved state).

    A callback from a browser that never started is someone else's request, not a person trying
    to sign in: it is logged but not written to the tenant's audit log, so nobody can fill that
    log from outside."""
    prefix = f"_state_sso-{tenant_slug}_"
    return any(key.startswith(prefix) for key in request.session.keys())  # noqa: SIM118


def claims_from_callback(request: HttpRequest, *, sso: SingleSignOn) -> dict[str, Any]:
    """Check the callback's state, exchange the code (with the PKCE verifier) and return the
    verified ID token's claims."""
    if request.GET.get("error"):
        # An OAuth error code (RFC 6749: letters and underscores), never free text.
        raise SignOnRefused(f"provider said {re.sub(r'[^a-z_]', '', request.GET['error'])[:40]}")
    if request.GET.get("iss") and request.GET["iss"] != sso.issuer:
        raise SignOnRefused("response from another issuer")  # RFC 9207 mix-up defence
    state, code = request.GET.get("state"), request.GET.get("code")
    if not state or not code:
        raise SignOnRefused("no state or code")
    client = _client(sso)
    saved = client.framework.get_state_data(request.session, state)
    client.framework.clear_state_data(request.session, state)  # one use only
    if not saved or not saved.get("nonce") or not saved.get("code_verifier"):
        raise SignOnRefused("state mismatch")
    try:
        token = client.fetch_access_token(
            code=code, redirect_uri=saved["redirect_uri"], code_verifier=saved["code_verifier"]
        )
    except (RequestException, ValueError, KeyError, RuntimeError, AuthlibBaseError) as error:
        raise SignOnRefused(f"code exchange failed: {type(error).__name__}") from error
    return verify_id_token(sso=sso, token=token, nonce=saved["nonce"], client=client)


def _email_verified(claims: dict[str, Any]) -> bool:
    value = claims.get("email_verified")
    return value is True or (isinstance(value, str) and value.lower() == "true")


def sso_match(*, sso: SingleSignOn, claims: dict[str, Any]) -> User:
    """The user whose active membership of ``sso``'s tenant these verified claims belong to.

    By subject first; else, if the tenant allows it, by a verified email, which links the
    subject so that later sign-ins match by subject. Never makes a user or a membership.
    Call inside the tenant's context; raises SignOnRefused.
    """
    subject = str(claims.get("sub") or "")
    if not subject:
        raise SignOnRefused("no subject")
    active = Membership.objects.select_related("user").filter(
        tenant_id=sso.tenant_id, is_active=True, user__is_active=True
    )
    identity = SingleSignOnIdentity.objects.filter(
        tenant_id=sso.tenant_id, issuer=sso.issuer, subject=subject
    ).first()
    if identity is not None:
        membership = active.filter(pk=identity.membership_id).first()
        if membership is None:
            raise SignOnRefused("membership not active", subject=subject)
        with transaction.atomic():
            identity.last_sign_in_at = timezone.now()
            identity.save(update_fields=["last_sign_in_at"])
        return membership.user

    email = str(claims.get("email") or "").strip().lower()
    if not (sso.match_by_email and email and _email_verified(claims)):
        raise SignOnRefused("no membership for this subject", subject=subject)
    membership = active.filter(user__email=email).first()
    if membership is None:
        raise SignOnRefused("no membership for this subject or email", subject=subject)
    if SingleSignOnIdentity.objects.filter(membership=membership, issuer=sso.issuer).exists():
        # That person already signs in as another subject: an email alone must not add a second.
        raise SignOnRefused("membership linked to another subject", subject=subject)
    try:
        with transaction.atomic():
            identity = SingleSignOnIdentity.objects.create(
                tenant_id=sso.tenant_id, membership=membership, issuer=sso.issuer,
                subject=subject, last_sign_in_at=timezone.now(),
            )
            audit_record(actor=membership.user, action=AuditAction.CREATE, target=identity,
                         fields=["subject"], note="oidc: linked on first sign-in by email")
    except IntegrityError as error:  # the same subject linked at the same moment elsewhere
        raise SignOnRefused("subject already linked", subject=subject) from error
    return membership.user


@transaction.atomic
def sso_refusal_record(*, sso: SingleSignOn | None, refusal: SignOnRefused) -> None:
    """The audit row for a refused single sign-on, in the tenant it was tried for (call inside
    that tenant's context; ``sso`` is None when the tenant has none set up)."""
    log.info("single sign-on refused for tenant %s: %s", sso.tenant.slug if sso else "-",
             refusal.reason)
    note = f"oidc: {refusal.reason}"
    if refusal.subject:
        note += f" (subject {refusal.subject[:100]})"
    audit_record(
        actor=None, action=AuditAction.SIGN_IN_REFUSED, target=sso,
        target_type=SingleSignOn._meta.label_lower, actor_label="single sign-on", note=note,
    )
