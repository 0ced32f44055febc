"""The quick start's first command, for real: it brings the service up with the demo tenants,
the sign-in page answers, Ctrl-C stops every process, and a second run keeps the data."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _run_until_ready(env: dict[str, str], web_port: int) -> tuple[subprocess.Popen, list[str]]:
    proc = subprocess.Popen(
        [sys.executable, "scripts/stack.py", "run", "--port", str(web_port)], cwd=ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    lines: list[str] = []
    # Migrating and loading the demo history take minutes on a busy 2-core machine.
    deadline = time.monotonic() + 480
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line and proc.poll() is not None:
            break
        lines.append(line)
        if "press Ctrl-C to stop everything" in line:
            return proc, lines
    proc.kill()
    pytest.fail("the service did not come up:\n" + "".join(lines[-40:]))


def _stop(proc: subprocess.Popen) -> int:
    proc.send_signal(signal.SIGINT)
    proc.stdout.read()
    return proc.wait(timeout=60)


@pytest.fixture
def quick_start_env():
    state = Path(tempfile.mkdtemp(prefix="pcn-mh-quickstart-"))
    state.chmod(0o755)
    ports = {"PG_PORT": _free_port(), "REDIS_PORT": _free_port()}
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("DATABASE_", "REDIS_", "DJANGO_", "DEMO_"))}
    env.update({"STACK_STATE_DIR": str(state), **{k: str(v) for k, v in ports.items()}})
    yield env, ports
    shutil.rmtree(state, ignore_errors=True)


def test_make_run_serves_the_demo_stops_on_ctrl_c_and_keeps_its_data(quick_start_env):
    env, ports = quick_start_env
    web_port = _free_port()

    proc, lines = _run_until_ready(env, web_port)
    output = "".join(lines)
    assert f"The service is running at http://127.0.0.1:{web_port}/" in output
    assert "daniel.whitaker@sheffield.demo.test" in output and "Demo password" in output
    with urllib.request.urlopen(f"http://127.0.0.1:{web_port}/sign-in/", timeout=10) as page:
        assert page.status == 200 and b"Sign in" in page.read()
    assert _stop(proc) == 0
    for port in (web_port, ports["PG_PORT"], ports["REDIS_PORT"]):
        assert not _listening(port), f"something still listens on {port} after Ctrl-C"

    proc, lines = _run_until_ready(env, web_port)
    assert "Sheffield: already loaded" in "".join(lines)
    assert _stop(proc) == 0
