"""docker-compose.yml is valid Compose and describes the production-like deployment."""

from __future__ import annotations

from pathlib import Path

import yaml

COMPOSE = Path(__file__).resolve().parents[1] / "docker-compose.yml"


def _compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def test_the_compose_file_names_postgres_redis_web_worker_and_beat():
    services = _compose()["services"]
    assert {"postgres", "redis", "web", "worker", "beat"} <= set(services)


def test_every_long_running_service_has_a_health_check():
    services = _compose()["services"]
    for name in ("postgres", "redis", "web", "worker", "beat"):
        check = services[name].get("healthcheck")
        assert check and check.get("test"), f"{name} has no health check"


def test_data_lives_in_named_volumes():
    compose = _compose()
    declared = set(compose["volumes"])
    for name in ("postgres", "redis"):
        mounts = compose["services"][name]["volumes"]
        named = {m.split(":", 1)[0] for m in mounts}
        assert named & declared, f"{name} keeps no data in a named volume"


def test_services_wait_for_healthy_dependencies_and_the_migration():
    services = _compose()["services"]
    for name in ("web", "worker", "beat"):
        depends = services[name]["depends_on"]
        assert depends["postgres"]["condition"] == "service_healthy"
        assert depends["redis"]["condition"] == "service_healthy"
        assert depends["migrate"]["condition"] == "service_completed_successfully"
    assert "gunicorn" in " ".join(services["web"]["command"])
    assert "beat" in services["beat"]["command"]


def test_only_the_migration_job_gets_the_owner_credentials():
    services = _compose()["services"]
    assert "DATABASE_OWNER_URL" in services["migrate"]["environment"]
    for name in ("web", "worker", "beat"):
        env = services[name].get("environment", {})
        assert "DATABASE_OWNER_URL" not in env, f"{name} must connect as the application role"


def test_every_referenced_volume_and_service_is_declared():
    compose = _compose()
    services = compose["services"]
    for name, service in services.items():
        for dependency in service.get("depends_on", {}):
            assert dependency in services, f"{name} depends on unknown {dependency}"
        for mount in service.get("volumes", []):
            source = mount.split(":", 1)[0]
            if not source.startswith((".", "/")):
                assert source in compose["volumes"], f"{name} mounts undeclared {source}"
        assert "image" in service or "build" in service, f"{name} has no image"


def test_gunicorn_is_published_on_loopback_only_behind_the_tls_proxy():
    """Production trusts one proxy's X-Forwarded-For (TRUSTED_PROXY_HOPS=1): a client reaching
    gunicorn directly could forge its address and slip past the per-address sign-in limit."""
    ports = _compose()["services"]["web"]["ports"]
    assert ports and all(str(port).startswith("127.0.0.1:") for port in ports)


def test_the_web_process_masks_secret_links_in_its_access_log():
    command = _compose()["services"]["web"]["command"]
    assert "config.gunicorn_logging.SecretPathsMaskedLogger" in command
