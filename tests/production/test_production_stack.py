"""The production path, built as the Dockerfile builds it, answers every kind of page.

`collectstatic` into a folder of its own, a database of its own migrated by the owner role,
gunicorn serving `config.wsgi` under `config.settings.production`, and every request made over
plain HTTP saying `X-Forwarded-Proto: https`, as the TLS proxy in front of it does. A 500 from
any request, or a traceback in gunicorn's log, fails the run.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

import psycopg
import pytest
from django.urls import reverse
from django_otp.oath import totp

from pcns.roles import landing_url_name
from tests.factories import PASSWORD, ROLES

pytestmark = pytest.mark.production

ROOT = Path(__file__).resolve().parents[2]
TENANT = "northtown"
#: One fixture user for each role (the factories' cast; other_clinician repeats mhp).
ROLE_USERS = {label: role for label, (role, _team, _employer) in ROLES.items()
              if label != "other_clinician"}
HASHED_STATIC = re.compile(r"^/static/.+\.[0-9a-f]{12}\.(css|m?js|ico|svg|png|json)$")


# --------------------------------------------------------------------------- the stack


@dataclass
class Stack:
    port: int
    env: dict[str, str]
    static_root: Path
    log: Path

    @property
    def origin(self) -> str:
        return f"127.0.0.1:{self.port}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _manage(env: dict[str, str], *args: str, timeout: int = 120) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)
    assert done.returncode == 0, f"manage.py {' '.join(args)} failed:\n{done.stdout}{done.stderr}"
    return done


# Roles that must sign in with two factors get an authenticator app with a key known here.
TWO_FACTOR_ROLES = {"programme_manager", "tenant_admin"}
TWO_FACTOR_EMAILS = {f"{label}@{TENANT}.test" for label, role in ROLE_USERS.items()
                     if role in TWO_FACTOR_ROLES}
TOTP_KEY = "3132333435363738393031323334353637383930"
#: Codes already entered per email: django-otp refuses a code twice, so each later sign-in
#: enters the next step's code (it accepts one step ahead).
_codes_used: dict[str, int] = {}


def _next_code(email: str) -> str:
    used = _codes_used.get(email, 0)
    _codes_used[email] = used + 1
    return f"{totp(bytes.fromhex(TOTP_KEY), 30, 0, 6, used):06d}"


# The factories' cast of users, one for each role, loaded under production settings. The cast is
# made with a quick hasher and then given one real hash, so ten users cost one slow hash.
_LOAD_USERS = f"""
import django
django.setup()
from django.contrib.auth.hashers import make_password
from django.test.utils import override_settings
from pcns.models import User
from tests.factories import PASSWORD, build_tenant
with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
    build_tenant({TENANT!r})
User.objects.update(password=make_password(PASSWORD))
from django_otp.plugins.otp_totp.models import TOTPDevice
for user in User.objects.filter(email__in={sorted(TWO_FACTOR_EMAILS)!r}):
    TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True,
                              key={TOTP_KEY!r})
"""


def _production_env(database_url: str, owner_url: str, static_root: Path,
                    port: int) -> dict[str, str]:
    """Production settings with every secret a deployment sets, and nothing of the test's own."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DJANGO_", "DEMO_", "DATABASE_", "REDIS_", "SESSION_"))}
    redis = urlsplit(os.environ["REDIS_URL"])
    return {
        **env,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(60),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        # Chromium's side of the proxy is plain HTTP: its Origin is http://localhost:<port>,
        # where a real browser's would be the https:// address the proxy serves.
        "DJANGO_CSRF_TRUSTED_ORIGINS": f"http://localhost:{port}",
        "DJANGO_STATIC_ROOT": str(static_root),
        "DATABASE_URL": database_url,
        "DATABASE_OWNER_URL": owner_url,
        # A Redis database of its own: no test worker picks up what this stack queues.
        "REDIS_URL": urlunsplit(redis._replace(path="/9")),
        "SITE_URL": "https://pcn-mh.example.nhs.uk",
        "PYTHONUNBUFFERED": "1",
    }


def _wait_for_health(port: int, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail("gunicorn stopped:\n" + log.read_text())
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/health/")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    pytest.fail("gunicorn did not answer /health/ within 60 s:\n" + log.read_text())


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)  # gunicorn's arbiter stops its workers
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _server_errors_in(log_text: str) -> list[str]:
    return [line for line in log_text.splitlines()
            if "Traceback" in line or "Internal Server Error" in line
            or re.search(r'" 5\d\d ', line)]


@pytest.fixture(scope="module")
def stack():
    for name in ("DATABASE_URL", "DATABASE_OWNER_URL", "REDIS_URL"):
        if not os.environ.get(name):
            pytest.fail(f"{name} is not set: run this through `python3 scripts/stack.py test`")
    tmp = Path(tempfile.mkdtemp(prefix="pcn-mh-production-"))
    database = f"pcn_mh_production_{secrets.token_hex(4)}"
    owner_url = os.environ["DATABASE_OWNER_URL"]
    with psycopg.connect(owner_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{database}"')
    collect = proc = None
    try:
        port = _free_port()
        env = _production_env(_with_database(os.environ["DATABASE_URL"], database),
                              _with_database(owner_url, database), tmp / "staticfiles", port)
        # As the Dockerfile: collect; as the compose `migrate` job: migrate as the owner. The
        # two are independent, so they run side by side.
        collect = subprocess.Popen([sys.executable, "manage.py", "collectstatic", "--no-input"],
                                   cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True)
        _manage(env, "migrate", "--no-input")
        load = subprocess.run([sys.executable, "-c", _LOAD_USERS], cwd=ROOT, timeout=120,
                              env={**env, "METRICS_REFRESH_AFTER_CHANGE": "false"},
                              capture_output=True, text=True, check=False)
        assert load.returncode == 0, load.stderr
        collected = collect.communicate(timeout=120)[0]
        assert collect.returncode == 0, f"collectstatic failed:\n{collected}"
        # The web process connects as the application role only, as in docker-compose.yml.
        web_env = {k: v for k, v in env.items() if k != "DATABASE_OWNER_URL"}
        log = tmp / "gunicorn.log"
        with log.open("w") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}",
                 "--workers", "2", "--access-logfile", "-", "--error-logfile", "-",
                 "--logger-class", "config.gunicorn_logging.SecretPathsMaskedLogger"],
                cwd=ROOT, env=web_env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        _wait_for_health(port, proc, log)
        yield Stack(port=port, env=env, static_root=tmp / "staticfiles", log=log)
        _stop(proc)
        errors = _server_errors_in(log.read_text())
        assert not errors, "gunicorn logged server errors:\n" + "\n".join(errors)
    finally:
        for running in (collect, proc):
            if running is not None:
                _stop(running)
        with psycopg.connect(owner_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        shutil.rmtree(tmp, ignore_errors=True)


# --------------------------------------------------------------------------- over HTTP


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def header(self, name: str) -> str:
        return self.headers.get(name, "")


@dataclass
class Visitor:
    """A browser's worth of HTTP behind the TLS proxy: cookies kept (Secure ones included, since
    the proxy's side is HTTPS), and every request saying it came in over HTTPS."""

    stack: Stack
    cookies: dict[str, str] = field(default_factory=dict)

    def request(self, method: str, path: str, form: dict | None = None,
                headers: dict | None = None) -> Answer:
        sent = {"X-Forwarded-Proto": "https", **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
            sent["Origin"] = f"https://{self.stack.origin}"
        conn = http.client.HTTPConnection("127.0.0.1", self.stack.port, timeout=30)
        conn.request(method, path, body=body, headers=sent)
        response = conn.getresponse()
        answer = Answer(response.status, response.msg, response.read())
        conn.close()
        for raw in response.msg.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(raw).items():
                if morsel.value and morsel["max-age"] != "0":
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        assert answer.status < 500, f"{method} {path} answered {answer.status}"
        return answer

    def get(self, path: str, **kwargs) -> Answer:
        return self.request("GET", path, **kwargs)

    def follow(self, path: str) -> tuple[str, Answer]:
        """GET, following redirects within the service; returns the final path and answer."""
        for _ in range(5):
            answer = self.get(path)
            if answer.status not in (301, 302, 303, 307, 308):
                return path, answer
            location = urlsplit(answer.header("Location"))
            assert location.netloc in ("", self.stack.origin), answer.header("Location")
            path = location.path + (f"?{location.query}" if location.query else "")
        pytest.fail(f"too many redirects from {path}")


def sign_in(visitor: Visitor, email: str, password: str = PASSWORD) -> Answer:
    """Sign in through the sign-in page as a person would; returns the answer to the POST.

    The one place a sign-in happens over HTTP here: a second factor joins it here."""
    page = visitor.get(reverse("pcns:sign-in"))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    answer = visitor.request("POST", reverse("pcns:sign-in"),
                             form={"csrfmiddlewaretoken": token, "email": email,
                                   "password": password})
    if email in TWO_FACTOR_EMAILS:
        assert answer.header("Location") == reverse("pcns:two-factor"), answer.text[:2000]
        assert "sessionid" not in visitor.cookies or visitor.get("/").status == 302
        page = visitor.get(reverse("pcns:two-factor"))
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        answer = visitor.request("POST", reverse("pcns:two-factor"),
                                 form={"csrfmiddlewaretoken": token, "code": _next_code(email)})
    return answer


def _email(label: str) -> str:
    return f"{label}@{TENANT}.test"


def _assets(html: str) -> list[str]:
    return re.findall(r'<(?:link|script)[^>]+(?:href|src)="(/static/[^"]+)"', html)


class _NavigationLinks(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "a" and "nhsuk-header__navigation-link" in (attributes.get("class") or ""):
            self.hrefs.append(attributes["href"])


def _navigation(html: str) -> list[str]:
    parser = _NavigationLinks()
    parser.feed(html)
    return [href for href in parser.hrefs if href.startswith("/")]


@pytest.fixture(scope="module")
def walked() -> set[str]:
    """Pages already walked by an earlier role (each page is walked once)."""
    return set()


# --------------------------------------------------------------------------- the walk


def test_manage_check_deploy_is_clean_under_production_settings(stack):
    done = _manage(stack.env, "check", "--deploy", "--fail-level", "WARNING")
    assert "no issues" in done.stdout + done.stderr


def test_the_health_check_answers_over_plain_http_too(stack):
    conn = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=10)
    conn.request("GET", "/health/")
    response = conn.getresponse()
    assert (response.status, response.read()) == (200, b"ok")


@pytest.mark.parametrize("label", list(ROLE_USERS))
def test_each_role_signs_in_and_lands_on_its_home_page(stack, walked, label):
    visitor = Visitor(stack)
    answer = sign_in(visitor, _email(label))
    assert answer.status == 302, f"sign-in as {label} was refused:\n{answer.text[:2000]}"
    assert "sessionid" in visitor.cookies
    path, home = visitor.follow(answer.header("Location"))
    assert path == reverse(landing_url_name(ROLE_USERS[label]))
    assert home.status == 200
    assert "<h1" in home.text and "Sign out" in home.text
    assert "no-store" in home.header("Cache-Control")
    assert home.header("Strict-Transport-Security")
    assert "script-src 'self' 'nonce-" in home.header("Content-Security-Policy")
    for asset in _assets(home.text):
        assert HASHED_STATIC.match(asset), f"{asset} is not a hashed static name"
        assert visitor.get(asset).status == 200, asset
    navigation = _navigation(home.text)
    assert navigation, "the page has no navigation"
    for href in set(navigation) - walked:
        assert visitor.get(href).status == 200, f"{label}: {href}"
        walked.add(href)


def test_every_static_name_the_templates_ask_for_is_in_the_manifest(stack):
    manifest = json.loads((stack.static_root / "staticfiles.json").read_text())["paths"]
    templates = [*ROOT.glob("*/jinja2/**/*.jinja"), *ROOT.glob("*/jinja2/**/*.html")]
    asked = {name for template in templates
             for name in re.findall(r"""static\(\s*['"]([^'"]+)['"]\s*\)""",
                                    template.read_text())}
    assert "css/app.css" in asked
    assert sorted(asked - set(manifest)) == []
    # The 500 page is plain HTML (it must render with nothing working): its names exist as-is.
    for path in re.findall(r'"/static/([^"]+)"', (ROOT / "config/jinja2/500.html").read_text()):
        assert (stack.static_root / path).is_file(), path


def test_an_unknown_address_is_our_404_page_signed_in_or_not(stack):
    visitor = Visitor(stack)
    anonymous = visitor.get("/no-such-page/")
    assert anonymous.status == 404 and "Page not found" in anonymous.text
    sign_in(visitor, _email("clinician"))
    signed_in = visitor.get("/referrals/00000000-0000-0000-0000-000000000000/")
    assert signed_in.status == 404 and "Page not found" in signed_in.text
    assert "Sign out" in signed_in.text  # the full page shell, not a bare error


def test_the_admin_sign_in_serves_with_its_static_files(stack):
    visitor = Visitor(stack)
    _path, page = visitor.follow("/admin/")
    assert page.status == 200 and "<form" in page.text
    for asset in _assets(page.text):
        assert HASHED_STATIC.match(asset), f"{asset} is not a hashed static name"
        assert visitor.get(asset).status == 200, asset


def test_static_files_are_served_hashed_compressed_and_cached_for_good(stack):
    visitor = Visitor(stack)
    page = visitor.get(reverse("pcns:sign-in"))
    stylesheets = [a for a in _assets(page.text) if a.endswith(".css")]
    assert any(re.match(r"^/static/css/app\.[0-9a-f]{12}\.css$", a) for a in stylesheets)
    for sheet in stylesheets:
        answer = visitor.get(sheet, headers={"Accept-Encoding": "gzip"})
        assert answer.status == 200
        assert answer.header("Content-Type").startswith("text/css")
        assert answer.header("Content-Encoding") == "gzip"
        assert "immutable" in answer.header("Cache-Control")
    assert (stack.static_root / "staticfiles.json").exists()


def test_the_api_docs_page_and_its_start_up_script_are_served(stack):
    visitor = Visitor(stack)
    page = visitor.get(reverse("api:docs"))
    assert page.status == 200
    scripts = re.findall(r'<script src="([^"]+)"', page.text)
    assert len(scripts) == 3 and "<script>" not in page.text
    for src in scripts:
        answer = visitor.get(src.replace("&amp;", "&"))
        assert answer.status == 200
        assert "javascript" in answer.header("Content-Type")
    schema = visitor.get(reverse("api:schema"))
    assert schema.status == 200 and b"openapi" in schema.body


def test_a_signed_in_api_answer_is_not_stored(stack):
    visitor = Visitor(stack)
    sign_in(visitor, _email("clinician"))
    answer = visitor.get(reverse("api:referral-list"))
    assert answer.status == 200 and b'"results"' in answer.body
    assert "no-store" in answer.header("Cache-Control")


# --------------------------------------------------------------------------- in Chromium


_RECORD_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error("CSP violation: " + e.violatedDirective + " " + e.blockedURI);
});
"""


@pytest.fixture
def problems() -> list[str]:
    """What the page did wrong: CSP violations and other console errors, script errors and
    server errors."""
    return []


@pytest.fixture
def page(browser, stack, problems):
    # localhost, not 127.0.0.1: Chromium keeps Secure cookies from http://localhost.
    context = browser.new_context(base_url=f"http://localhost:{stack.port}",
                                  extra_http_headers={"X-Forwarded-Proto": "https"})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.add_init_script(_RECORD_CSP_VIOLATIONS)
    page.on("console", lambda m: m.type == "error" and problems.append(m.text))
    page.on("pageerror", lambda e: problems.append(f"script error: {e}"))
    page.on("response", lambda r: r.status >= 500 and problems.append(f"{r.status} {r.url}"))
    yield page
    context.close()


def browser_sign_in(page, email: str, password: str = PASSWORD) -> None:
    """Sign in through the sign-in page in Chromium; a second factor joins it here."""
    page.goto(reverse("pcns:sign-in"))
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_swagger_ui_renders_under_the_content_security_policy(page, problems):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.goto(reverse("api:docs"))
    title = page.locator(".swagger-ui .information-container .title")
    try:
        title.wait_for()
    except PlaywrightTimeout:
        pytest.fail(f"Swagger UI did not render: {problems}")
    assert "Community mental health referrals API" in title.inner_text()
    page.locator(".opblock").first.wait_for()  # the operations, from the schema
    assert problems == []


def test_a_clinician_signs_in_and_opens_a_care_record_in_chromium(page, problems):
    browser_sign_in(page, _email("clinician"))
    page.get_by_role("heading", name=re.compile("Your work")).wait_for()
    # The hashed stylesheet took (NHS blue header) and the inline script ran with its nonce.
    header = page.locator(".nhsuk-header").evaluate("e => getComputedStyle(e).backgroundColor")
    assert header == "rgb(0, 94, 184)"
    assert "nhsuk-frontend-supported" in page.locator("body").get_attribute("class")
    page.get_by_role("link", name="My caseload").first.click()
    page.get_by_role("heading", name=re.compile("caseload", re.IGNORECASE)).first.wait_for()
    record = page.locator("main table a").first
    href = record.get_attribute("href")
    with page.expect_response(lambda r: r.url.endswith(href)) as opened:
        record.click()
    assert opened.value.status == 200
    assert "no-store" in opened.value.headers["cache-control"]
    page.get_by_role("heading", level=1).wait_for()
    assert problems == []


def test_the_access_log_keeps_no_invitation_or_password_reset_secret(stack):
    visitor = Visitor(stack)
    visitor.get("/invitation/secret-invitation-token-1234/")
    visitor.get("/password-reset/MQ/secret-reset-token-5678/")
    # A worker writes its access line just after answering: wait for both lines.
    deadline = time.monotonic() + 30
    log = stack.log.read_text()
    while not ('"GET /invitation/' in log and '"GET /password-reset/' in log) and \
            time.monotonic() < deadline:
        time.sleep(0.1)
        log = stack.log.read_text()
    assert "/invitation/***" in log and "/password-reset/***" in log
    assert "secret-invitation-token" not in log and "secret-reset-token" not in log


def test_an_administrator_searches_the_audit_log_under_production_settings(stack):
    visitor = Visitor(stack)
    answer = sign_in(visitor, _email("tenant_admin"))
    assert answer.status == 302
    page = visitor.get(reverse("referrals:audit-log") + f"?user={_email('clinician')}")
    assert page.status == 200 and "<h1" in page.text
    assert "no-store" in page.header("Cache-Control")
    csv_answer = visitor.get(reverse("referrals:audit-log-csv") + f"?user={_email('clinician')}")
    assert csv_answer.status == 200 and csv_answer.body.startswith("\ufeff".encode())
