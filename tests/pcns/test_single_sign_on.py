"""Single sign-on by OpenID Connect, end to end against a real provider run by the tests
(django-oauth-toolkit in its own process and database; tests/oidc_provider)."""

from __future__ import annotations

import time
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit, urlunsplit

import pytest
import requests
from django.urls import reverse
from joserfc import jwt
from joserfc.jwk import RSAKey

from pcns.accounts import oidc
from pcns.models import AuditEvent, Membership, SingleSignOn, SingleSignOnIdentity, User
from pcns.tenancy import tenant_context
from tests.oidc_provider.fixtures import oidc_provider_fixture  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db(transaction=True)


# --------------------------------------------------------------------------- helpers


class _Forms(HTMLParser):
    """The POST forms of a page: action and the values of their inputs."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("method", "").lower() == "post":
            self.forms.append({"action": attrs.get("action") or "", "fields": {}})
        elif tag == "input" and self.forms and attrs.get("name") and attrs.get("type") != "submit":
            self.forms[-1]["fields"][attrs["name"]] = attrs.get("value") or ""


def _post_form(session: requests.Session, page: requests.Response, **values) -> requests.Response:
    parser = _Forms()
    parser.feed(page.text)
    assert parser.forms, f"no form on {page.url}: {page.text[:500]}"
    form = parser.forms[0]
    return session.post(urljoin(page.url, form["action"]), data={**form["fields"], **values},
                        allow_redirects=False)


def _follow(session: requests.Session, response: requests.Response, *, stop_at: str = ""):
    """Follow redirects one at a time; stop before requesting a URL that starts with stop_at."""
    while response.is_redirect:
        target = urljoin(response.url, response.headers["Location"])
        if stop_at and target.startswith(stop_at):
            return target
        response = session.get(target, allow_redirects=False)
    return response


def _sign_in_at_provider(base: str, tenant_slug: str, provider, username: str,
                         *, stop_at_callback: bool = False):
    """Our SSO link -> the provider's sign-in page -> its consent page -> back to our callback.

    Returns the session and the last response (or the callback URL, if asked to stop there).
    """
    session = requests.Session()
    start = session.get(f"{base}/sign-in/sso/{tenant_slug}/", allow_redirects=False)
    assert start.status_code == 302, start.text[:500]
    authorise_url = start.headers["Location"]
    assert authorise_url.startswith(provider.issuer + "/authorize/")
    login_page = _follow(session, start)
    assert "Test identity provider" in login_page.text
    after_login = _post_form(session, login_page, username=username, password=provider.password)
    consent = _follow(session, after_login)
    assert consent.status_code == 200 and "authorizationForm" in consent.text, consent.text[:500]
    decided = _post_form(session, consent, allow="Authorize")
    result = _follow(session, decided,
                     stop_at=f"{base}/sign-in/sso/" if stop_at_callback else "")
    return session, result, authorise_url


def _use_provider(cast, provider, **changes) -> SingleSignOn:
    with tenant_context(cast.tenant.pk):
        sso = SingleSignOn.objects.get(tenant=cast.tenant)
        values = {"enabled": True, "issuer": provider.issuer, "client_id": provider.client_id,
                  "client_secret": provider.client_secret, "match_by_email": True, **changes}
        for name, value in values.items():
            setattr(sso, name, value)
        sso.save()
        return sso


def _audit(cast, **filters) -> list[AuditEvent]:
    with tenant_context(cast.tenant.pk):
        return list(AuditEvent.objects.filter(**filters).order_by("at"))


# --------------------------------------------------------------------------- round trips


def test_an_invited_member_signs_in_through_the_provider_and_the_audit_row_says_oidc(
    live_server, oidc_provider, tenant_a
):
    _use_provider(tenant_a, oidc_provider)
    base = live_server.url
    _, landing, authorise_url = _sign_in_at_provider(
        base, "northtown", oidc_provider, "clinician"
    )

    query = parse_qs(urlsplit(authorise_url).query)
    assert query["code_challenge_method"] == ["S256"]
    assert query["response_type"] == ["code"]
    assert query["state"][0] and query["nonce"][0] and query["code_challenge"][0]
    assert landing.status_code == 200
    assert landing.url == base + reverse("caseload:home-clinician")
    signed_in = _audit(tenant_a, action="sign_in", actor=tenant_a.clinician)
    assert [event.note for event in signed_in] == ["oidc"]
    with tenant_context(tenant_a.tenant.pk):
        identity = SingleSignOnIdentity.objects.get(issuer=oidc_provider.issuer)
        assert identity.membership.user == tenant_a.clinician
        assert identity.subject == oidc_provider.subject("clinician")


def test_a_programme_manager_is_asked_for_our_second_factor_unless_the_provider_vouches_for_two(
    live_server, oidc_provider, tenant_a
):
    """The provider names its assurance level (acr AAL3_ANY); until the tenant says that level
    counts as two factors, single sign-on is only the first."""
    _use_provider(tenant_a, oidc_provider)
    base = live_server.url
    session, landing, _ = _sign_in_at_provider(base, "northtown", oidc_provider, "manager")
    assert landing.url == base + reverse("pcns:two-factor-set-up")
    assert _audit(tenant_a, action="sign_in", actor=tenant_a.programme_manager) == []
    home = session.get(base + reverse("pcns:home-programme"), allow_redirects=False)
    assert home.status_code == 302 and "/sign-in/" in home.headers["Location"]

    _use_provider(tenant_a, oidc_provider, two_factor_acr_values="AAL2_OR_ABOVE AAL3_ANY")
    _, landing, _ = _sign_in_at_provider(base, "northtown", oidc_provider, "manager")
    assert landing.url == base + reverse("pcns:home-programme")
    signed_in = _audit(tenant_a, action="sign_in", actor=tenant_a.programme_manager)
    assert [event.note for event in signed_in] == ["oidc (acr AAL3_ANY)"]


def test_once_linked_a_member_signs_in_by_subject_even_after_email_matching_is_turned_off(
    live_server, oidc_provider, tenant_a
):
    _use_provider(tenant_a, oidc_provider)
    _sign_in_at_provider(live_server.url, "northtown", oidc_provider, "clinician")
    _use_provider(tenant_a, oidc_provider, match_by_email=False)
    with tenant_context(tenant_a.tenant.pk):
        User.objects.filter(pk=tenant_a.clinician.pk).update(email="renamed@northtown.test")

    _, landing, _ = _sign_in_at_provider(live_server.url, "northtown", oidc_provider, "clinician")

    assert landing.url == live_server.url + reverse("caseload:home-clinician")
    assert len(_audit(tenant_a, action="sign_in", actor=tenant_a.clinician)) == 2


def test_a_subject_an_administrator_linked_signs_in_without_any_email_matching(
    live_server, oidc_provider, tenant_a
):
    _use_provider(tenant_a, oidc_provider, match_by_email=False)
    with tenant_context(tenant_a.tenant.pk):
        SingleSignOnIdentity.objects.create(
            tenant=tenant_a.tenant, membership=tenant_a.team_lead.membership,
            issuer=oidc_provider.issuer, subject=oidc_provider.subject("lead"),
        )

    _, landing, _ = _sign_in_at_provider(live_server.url, "northtown", oidc_provider, "lead")

    assert landing.url == live_server.url + reverse("caseload:home-team-lead")


def test_an_uninvited_subject_is_refused_nothing_is_made_and_the_refusal_is_audited(
    live_server, oidc_provider, tenant_a
):
    _use_provider(tenant_a, oidc_provider)
    users_before = User.objects.count()
    with tenant_context(tenant_a.tenant.pk):
        memberships_before = Membership.objects.count()

    session, page, _ = _sign_in_at_provider(live_server.url, "northtown", oidc_provider,
                                            "stranger")

    assert page.status_code == 403
    assert "You cannot sign in with single sign-on" in page.text
    assert "could not be matched to a member of staff at Northtown" in page.text
    assert User.objects.count() == users_before
    assert not User.objects.filter(email=oidc_provider.email("stranger")).exists()
    with tenant_context(tenant_a.tenant.pk):
        assert Membership.objects.count() == memberships_before
        assert not SingleSignOnIdentity.objects.filter(issuer=oidc_provider.issuer).exists()
    [refused] = _audit(tenant_a, action="sign_in_refused")
    assert refused.actor is None
    assert "no membership" in refused.note
    assert oidc_provider.subject("stranger") in refused.note
    home = session.get(live_server.url + "/", allow_redirects=False)
    assert home.status_code == 302 and "/sign-in/" in home.headers["Location"]


def test_a_member_of_another_tenant_is_refused_at_this_tenants_sign_on(
    live_server, oidc_provider, tenant_a, tenant_b
):
    # clinician@northtown.test belongs to Northtown; Southvale must not let them in.
    _use_provider(tenant_b, oidc_provider)

    _, page, _ = _sign_in_at_provider(live_server.url, "southvale", oidc_provider, "clinician")

    assert page.status_code == 403
    assert len(_audit(tenant_b, action="sign_in_refused")) == 1
    assert _audit(tenant_a, action="sign_in") == []


def test_a_tampered_state_is_refused(live_server, oidc_provider, tenant_a):
    _use_provider(tenant_a, oidc_provider)
    session, callback, _ = _sign_in_at_provider(
        live_server.url, "northtown", oidc_provider, "clinician", stop_at_callback=True
    )
    parts = urlsplit(callback)
    query = parse_qs(parts.query)
    assert "code" in query and "state" in query
    query["state"] = [query["state"][0][::-1] + "x"]
    tampered = urlunsplit(parts._replace(query=urlencode(query, doseq=True)))

    page = session.get(tampered, allow_redirects=False)

    assert page.status_code == 403
    assert _audit(tenant_a, action="sign_in") == []
    [refused] = _audit(tenant_a, action="sign_in_refused")
    assert refused.note == "oidc: state mismatch"


def test_a_callback_naming_another_issuer_is_refused(live_server, oidc_provider, tenant_a):
    _use_provider(tenant_a, oidc_provider)
    session, callback, _ = _sign_in_at_provider(
        live_server.url, "northtown", oidc_provider, "clinician", stop_at_callback=True
    )
    parts = urlsplit(callback)
    query = {**parse_qs(parts.query), "iss": ["https://attacker.example/o"]}

    page = session.get(urlunsplit(parts._replace(query=urlencode(query, doseq=True))),
                       allow_redirects=False)

    assert page.status_code == 403
    [refused] = _audit(tenant_a, action="sign_in_refused")
    assert refused.note == "oidc: response from another issuer"


def test_a_callback_is_refused_in_another_browser_session(live_server, oidc_provider, tenant_a):
    # The state lives in the session of the browser that started: a stolen callback URL is
    # useless elsewhere.
    _use_provider(tenant_a, oidc_provider)
    _, callback, _ = _sign_in_at_provider(
        live_server.url, "northtown", oidc_provider, "clinician", stop_at_callback=True
    )

    page = requests.get(callback, allow_redirects=False, timeout=30)

    assert page.status_code == 403
    assert _audit(tenant_a, action="sign_in") == []


def test_turning_single_sign_on_off_refuses_it_at_once(live_server, oidc_provider, tenant_a):
    _use_provider(tenant_a, oidc_provider)
    session, callback, _ = _sign_in_at_provider(
        live_server.url, "northtown", oidc_provider, "clinician", stop_at_callback=True
    )
    _use_provider(tenant_a, oidc_provider, enabled=False)

    page = session.get(callback, allow_redirects=False)
    start = requests.get(live_server.url + "/sign-in/sso/northtown/", allow_redirects=False,
                         timeout=30)

    assert page.status_code == 403
    assert "Single sign-on is not turned on for Northtown" in page.text
    [refused] = _audit(tenant_a, action="sign_in_refused")
    assert refused.note == "oidc: single sign-on turned off"
    assert start.status_code == 404
    assert _audit(tenant_a, action="sign_in") == []


def test_the_sign_in_page_offers_single_sign_on_only_where_it_is_on(
    client, oidc_provider, tenant_a, tenant_b
):
    _use_provider(tenant_a, oidc_provider)

    page = client.get(reverse("pcns:sign-in")).content.decode()

    assert "Sign in with Northtown single sign-on" in page
    assert 'href="/sign-in/sso/northtown/"' in page
    assert "Southvale" not in page


# --------------------------------------------------------------------------- ID token checks
# Tokens signed here with the provider's own private key and checked against the JWKS the
# running provider publishes: only the claim under test is wrong in each.


def _id_token(provider, *, key_pem: str | None = None, **claims) -> str:
    jwks = requests.get(f"{provider.issuer}/.well-known/jwks.json", timeout=10).json()
    key = RSAKey.import_key(key_pem or provider.private_key_pem)
    now = int(time.time())
    payload = {"iss": provider.issuer, "aud": provider.client_id, "sub": "uid-clinician",
               "iat": now, "exp": now + 300, "nonce": "expected-nonce", **claims}
    payload = {name: value for name, value in payload.items() if value is not None}
    return jwt.encode({"alg": "RS256", "kid": jwks["keys"][0]["kid"]}, payload, key)


def _check(sso, token: str, nonce: str = "expected-nonce"):
    with tenant_context(sso.tenant_id):
        return oidc.verify_id_token(sso=sso, token={"id_token": token}, nonce=nonce)


def test_an_id_token_with_every_claim_right_passes_the_checks(oidc_provider, tenant_a):
    sso = _use_provider(tenant_a, oidc_provider)

    claims = _check(sso, _id_token(oidc_provider))

    assert claims["sub"] == "uid-clinician"


@pytest.mark.parametrize(
    "wrong",
    [
        {"nonce": "another-nonce"},
        {"nonce": None},
        {"aud": "another-client"},
        {"iss": "http://127.0.0.1:1/o"},
        {"exp": int(time.time()) - 600, "iat": int(time.time()) - 900},
        {"sub": None},
    ],
    ids=["wrong nonce", "no nonce", "wrong audience", "wrong issuer", "expired", "no subject"],
)
def test_an_id_token_with_one_wrong_claim_is_refused(oidc_provider, tenant_a, wrong):
    sso = _use_provider(tenant_a, oidc_provider)

    with pytest.raises(oidc.SignOnRefused, match="ID token refused"):
        _check(sso, _id_token(oidc_provider, **wrong))


def test_an_id_token_signed_by_another_key_is_refused(oidc_provider, tenant_a):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    sso = _use_provider(tenant_a, oidc_provider)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()

    with pytest.raises(oidc.SignOnRefused, match="ID token refused"):
        _check(sso, _id_token(oidc_provider, key_pem=other))


def test_a_token_response_without_an_id_token_is_refused(oidc_provider, tenant_a):
    sso = _use_provider(tenant_a, oidc_provider)

    with tenant_context(sso.tenant_id), pytest.raises(oidc.SignOnRefused, match="no ID token"):
        oidc.verify_id_token(sso=sso, token={"access_token": "x"}, nonce="expected-nonce")


# --------------------------------------------------------------------------- matching rules


def _match(cast, sso, **claims):
    with tenant_context(cast.tenant.pk):
        return oidc.sso_match(sso=sso, claims=claims)


def test_an_unverified_email_matches_nobody(oidc_provider, tenant_a):
    sso = _use_provider(tenant_a, oidc_provider)

    with pytest.raises(oidc.SignOnRefused):
        _match(tenant_a, sso, sub="uid-new", email=tenant_a.clinician.email,
               email_verified=False)
    assert _match(tenant_a, sso, sub="uid-new", email=tenant_a.clinician.email,
                  email_verified=True) == tenant_a.clinician


def test_email_matching_is_off_unless_the_tenant_turns_it_on(oidc_provider, tenant_a):
    sso = _use_provider(tenant_a, oidc_provider, match_by_email=False)

    with pytest.raises(oidc.SignOnRefused):
        _match(tenant_a, sso, sub="uid-new", email=tenant_a.clinician.email,
               email_verified=True)


def test_a_linked_subject_of_a_deactivated_membership_is_refused(oidc_provider, tenant_a):
    sso = _use_provider(tenant_a, oidc_provider)
    _match(tenant_a, sso, sub="uid-clinician", email=tenant_a.clinician.email,
           email_verified=True)
    with tenant_context(tenant_a.tenant.pk):
        Membership.objects.filter(user=tenant_a.clinician).update(is_active=False)

    with pytest.raises(oidc.SignOnRefused, match="not active"):
        _match(tenant_a, sso, sub="uid-clinician")


def test_an_email_cannot_add_a_second_subject_to_a_linked_member(oidc_provider, tenant_a):
    sso = _use_provider(tenant_a, oidc_provider)
    _match(tenant_a, sso, sub="uid-first", email=tenant_a.clinician.email, email_verified=True)

    with pytest.raises(oidc.SignOnRefused, match="another subject"):
        _match(tenant_a, sso, sub="uid-second", email=tenant_a.clinician.email,
               email_verified=True)


# --------------------------------------------------------------------------- administration


def test_the_admin_never_shows_the_client_secret_and_a_blank_field_keeps_it(client, tenant_a):
    client.force_login(tenant_a.tenant_admin)
    with tenant_context(tenant_a.tenant.pk):
        sso = SingleSignOn.objects.get(tenant=tenant_a.tenant)
    url = reverse("admin:pcns_singlesignon_change", args=[sso.pk])

    page = client.get(url).content.decode()

    assert "factory-client-secret" not in page
    assert "••••••••cret" in page
    assert "/sign-in/sso/northtown/callback/" in page
    response = client.post(url, {
        "enabled": "on", "display_name": "NHS CIS2", "issuer": sso.issuer,
        "client_id": "changed-client", "client_secret": "", "scopes": "openid email",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    with tenant_context(tenant_a.tenant.pk):
        sso.refresh_from_db()
        assert (sso.client_id, sso.client_secret, sso.enabled) == (
            "changed-client", "factory-client-secret", True
        )
        [change] = AuditEvent.objects.filter(action="change", target_type="pcns.singlesignon")
        assert "client_secret" not in change.fields


def test_the_admin_refuses_scopes_without_openid(client, tenant_a):
    client.force_login(tenant_a.tenant_admin)
    with tenant_context(tenant_a.tenant.pk):
        sso = SingleSignOn.objects.get(tenant=tenant_a.tenant)

    response = client.post(reverse("admin:pcns_singlesignon_change", args=[sso.pk]), {
        "display_name": "NHS CIS2", "issuer": sso.issuer, "client_id": "c",
        "client_secret": "", "scopes": "email profile",
    })

    assert response.status_code == 200
    assert "Scopes must include openid." in response.content.decode()


def test_another_tenants_single_sign_on_is_not_found_in_the_admin(client, tenant_a, tenant_b):
    client.force_login(tenant_a.tenant_admin)
    with tenant_context(tenant_b.tenant.pk):
        other = SingleSignOn.objects.get(tenant=tenant_b.tenant)

    response = client.get(reverse("admin:pcns_singlesignon_change", args=[other.pk]))

    assert response.status_code == 404


def test_the_admin_refuses_a_subject_already_linked_to_someone_else(client, tenant_a):
    client.force_login(tenant_a.tenant_admin)
    with tenant_context(tenant_a.tenant.pk):
        taken = SingleSignOnIdentity.objects.get(tenant=tenant_a.tenant)
        clinician_membership = tenant_a.clinician.membership

    response = client.post(reverse("admin:pcns_singlesignonidentity_add"), {
        "membership": clinician_membership.pk, "issuer": taken.issuer, "subject": taken.subject,
    })

    assert response.status_code == 200
    assert "already linked to someone in this place" in response.content.decode()


def test_an_unreachable_provider_gives_a_clear_page_not_an_error(client, tenant_a):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    with tenant_context(tenant_a.tenant.pk):
        SingleSignOn.objects.filter(tenant=tenant_a.tenant).update(
            enabled=True, issuer=f"http://127.0.0.1:{closed_port}/o"
        )

    response = client.get(reverse("pcns:sso-start", args=["northtown"]))

    assert response.status_code == 403
    assert "could not be reached" in response.content.decode()


def test_a_provider_whose_discovery_document_lacks_its_keys_gives_the_same_clear_page(
    client, tenant_a
):
    """A discovery document without jwks_uri or endpoints is refused, not a server error."""
    import http.server
    import json
    import threading

    class Discovery(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = json.dumps({"issuer": issuer}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Discovery)
    issuer = f"http://127.0.0.1:{server.server_address[1]}/o"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with tenant_context(tenant_a.tenant.pk):
            SingleSignOn.objects.filter(tenant=tenant_a.tenant).update(enabled=True, issuer=issuer)
        response = client.get(reverse("pcns:sso-start", args=["northtown"]))
    finally:
        server.shutdown()
        server.server_close()

    assert response.status_code == 403
    assert "could not be reached" in response.content.decode()


def test_a_callback_from_a_browser_that_never_started_is_logged_not_audited(
    client, tenant_a, tenant_b
):
    """Nobody can fill a tenant's audit log from outside by calling the callback."""
    with tenant_context(tenant_a.tenant.pk):
        SingleSignOn.objects.filter(tenant=tenant_a.tenant).update(enabled=True)
    callback = reverse("pcns:sso-callback", args=["northtown"])
    for query in ("", "?error=access_denied", "?state=made-up&code=made-up",
                  "?error=" + "x" * 200):
        assert client.get(callback + query).status_code == 403
    assert client.get(reverse("pcns:sso-callback", args=["southvale"])).status_code == 403
    assert _audit(tenant_a, action="sign_in_refused") == []
    assert _audit(tenant_b, action="sign_in_refused") == []
