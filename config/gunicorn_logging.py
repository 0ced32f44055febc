"""gunicorn's access log without the secrets some addresses carry.

An invitation link (`/invitation/<token>/`) and a password reset link
(`/password-reset/<uid>/<token>/`) work until they are used or expire, so an access log that
kept them would let anyone who reads the log set someone's password. This logger writes those
parts as `***`. Used by docker-compose.yml and the Dockerfile (`--logger-class`).
"""

from __future__ import annotations

import re

from gunicorn.glogging import Logger

SECRET_PATHS = re.compile(r"(/invitation/|/password-reset/)(?!sent/)[^\s?\"]+")


def masked(text: str) -> str:
    """``text`` with the secret part of invitation and password reset addresses hidden."""
    return SECRET_PATHS.sub(r"\1***", text)


class SecretPathsMaskedLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U", "f"):  # request line, path, referer
            if isinstance(atoms.get(key), str):
                atoms[key] = masked(atoms[key])
        return atoms
