"""Print the runtime dependencies pinned in pyproject.toml, one per line (for the Dockerfile)."""

import tomllib
from pathlib import Path

here = Path(__file__).resolve().parent
path = here / "pyproject.toml"
if not path.exists():  # run from scripts/ in the repository rather than the image root
    path = here.parent / "pyproject.toml"
print("\n".join(tomllib.loads(path.read_text())["project"]["dependencies"]))
