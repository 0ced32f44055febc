"""The clinical safety case names the tests that show each control works; they must exist.

A control whose test was renamed or deleted is a control nobody checks any more, so the hazard
log in docs/clinical-safety.md is read here and every ``path::test_name`` it cites is looked up.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CASE = ROOT / "docs" / "clinical-safety.md"
CITATION = re.compile(r"`(tests/[\w/]+\.py)::(test_\w+)`")
HAZARD = re.compile(r"^### (H\d+)\b", re.MULTILINE)


def _test_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {
        node.name for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.name.startswith("test_")
    }


def _hazards() -> dict[str, str]:
    text = CASE.read_text()
    starts = [(match.group(1), match.start()) for match in HAZARD.finditer(text)]
    ends = [start for _, start in starts[1:]] + [text.index("## 5.")]
    return {hazard: text[start:end] for (hazard, start), end in zip(starts, ends, strict=True)}


def test_the_hazard_log_lists_hazards_and_each_cites_at_least_one_test():
    hazards = _hazards()

    assert len(hazards) >= 10
    uncited = [hazard for hazard, text in hazards.items() if not CITATION.search(text)]
    assert uncited == []


@pytest.mark.parametrize("hazard", sorted(_hazards()))
def test_every_test_a_hazard_cites_exists(hazard):
    missing = []
    for path, name in CITATION.findall(_hazards()[hazard]):
        file = ROOT / path
        if not file.exists() or name not in _test_names(file):
            missing.append(f"{path}::{name}")

    assert missing == []
