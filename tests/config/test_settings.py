"""Settings: strict environment parsing; production refuses to start without its secrets and
passes `manage.py check --deploy`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, parse_database_url

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DJANGO_SECRET_KEY": "x" * 20 + "a-long-random-production-secret-value-0123456789",
    "DJANGO_ALLOWED_HOSTS": "mh.example.nhs.uk",
    "DATABASE_URL": "postgres://app:pw@db.example:5432/pcn_mh",
    "DATABASE_OWNER_URL": "postgres://owner:pw@db.example:5432/pcn_mh",
    "REDIS_URL": "redis://redis.example:6379/0",
}


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_", "DEMO_"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, capture_output=True, text=True,
        env={**base, "DJANGO_SETTINGS_MODULE": "config.settings.production", **env},
        check=False, timeout=120,
    )


@pytest.mark.parametrize("value,expected", [("true", True), ("0", False), ("No", False)])
def test_booleans_are_parsed_strictly(monkeypatch, value, expected):
    monkeypatch.setenv("SOME_FLAG", value)
    assert env_bool("SOME_FLAG") is expected


def test_a_misspelt_boolean_stops_start_up(monkeypatch):
    monkeypatch.setenv("SOME_FLAG", "ture")
    with pytest.raises(ImproperlyConfigured, match="SOME_FLAG"):
        env_bool("SOME_FLAG")


def test_database_urls_are_parsed_and_only_postgres_is_accepted():
    parsed = parse_database_url("postgres://u%40x:p@h:5433/db")
    assert (parsed["USER"], parsed["HOST"], parsed["PORT"], parsed["NAME"]) == (
        "u@x", "h", "5433", "db"
    )
    with pytest.raises(ImproperlyConfigured):
        parse_database_url("sqlite:///db.sqlite3")


@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "DATABASE_URL", "REDIS_URL",
                                     "DJANGO_ALLOWED_HOSTS"])
def test_production_refuses_to_start_without_its_secrets(missing):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert missing in result.stderr


def test_production_refuses_a_demo_password():
    result = _manage("check", env={**PRODUCTION_ENV, "DEMO_PASSWORD": "demo"})
    assert result.returncode != 0 and "DEMO_PASSWORD" in result.stderr


def test_production_refuses_the_demo_two_factor_skip():
    result = _manage("check", env={**PRODUCTION_ENV, "TWO_FACTOR_DEMO_SKIP": "true"})
    assert result.returncode != 0 and "TWO_FACTOR_DEMO_SKIP" in result.stderr


def test_production_trusts_one_proxy_hop_by_default():
    result = _manage("shell", "--no-imports", "-c", "from django.conf import settings; "
                     "print(settings.TRUSTED_PROXY_HOPS, settings.TWO_FACTOR_DEMO_SKIP)",
                     env=PRODUCTION_ENV)
    assert result.stdout.split() == ["1", "False"], result.stderr


def test_production_settings_pass_check_deploy_without_warnings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr + result.stdout
