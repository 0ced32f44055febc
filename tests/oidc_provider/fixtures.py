"""The session-scoped fixture that runs the test identity provider as its own process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.oidc_provider.seed import PASSWORD, USERS

ROOT = Path(__file__).resolve().parents[2]
#: Tenants (by slug) whose callback the provider accepts; the fixed cast's two tenants.
TENANT_SLUGS = ["northtown", "southvale"]


@dataclass(frozen=True)
class Provider:
    issuer: str
    client_id: str
    client_secret: str
    private_key_pem: str
    password: str = PASSWORD

    def subject(self, username: str) -> str:
        return f"uid-{username}"

    def email(self, username: str) -> str:
        return USERS[username]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(url: str, process: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the test identity provider stopped:\n{log.read_text()}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.1)  # polling for the port to answer, not waiting a fixed time
    raise RuntimeError(f"the test identity provider did not start:\n{log.read_text()}")


def _owner_url(database: str) -> str:
    base = os.environ["DATABASE_OWNER_URL"]
    return base.rsplit("/", 1)[0] + "/" + database


@pytest.fixture(scope="session", name="oidc_provider")
def oidc_provider_fixture(live_server, tmp_path_factory):
    """django-oauth-toolkit with OpenID Connect on, a fresh RS256 key, a PostgreSQL database of
    its own, users from tests.oidc_provider.seed and one confidential client (PKCE required)
    whose redirect URIs are our live server's callbacks."""
    database = f"oidc_provider_{uuid.uuid4().hex[:12]}"
    admin_url = os.environ["DATABASE_OWNER_URL"]
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{database}"')
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    port = _free_port()
    provider = Provider(
        issuer=f"http://127.0.0.1:{port}/o",
        client_id="pcn-mh-" + uuid.uuid4().hex[:8],
        client_secret=uuid.uuid4().hex + uuid.uuid4().hex,
        private_key_pem=pem,
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.oidc_provider.settings",
        "OIDC_PROVIDER_DATABASE_URL": _owner_url(database),
        "OIDC_PROVIDER_ISSUER": provider.issuer,
        "OIDC_PROVIDER_PRIVATE_KEY": pem,
        "PYTHONPATH": str(ROOT),
    }
    redirect_uris = " ".join(
        f"{live_server.url}/sign-in/sso/{slug}/callback/" for slug in TENANT_SLUGS
    )
    python = sys.executable
    subprocess.run([python, "-m", "django", "migrate", "--verbosity", "0"], env=env, cwd=ROOT,
                   check=True)
    subprocess.run(
        [python, "-m", "tests.oidc_provider.seed", redirect_uris, provider.client_id,
         provider.client_secret],
        env=env, cwd=ROOT, check=True,
    )
    log = tmp_path_factory.mktemp("oidc-provider") / "server.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [python, "-m", "django", "runserver", "--noreload", f"127.0.0.1:{port}"],
            env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_up(f"{provider.issuer}/.well-known/openid-configuration", process, log)
        yield provider
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
