"""Every CSV the service writes: UTF-8 with a byte-order mark, and no cell a spreadsheet runs.

Excel reads a CSV without a byte-order mark in the machine's code page ("Zoë" shows as "ZoÃ«"),
and runs a cell starting with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return, which
it skips before looking) as a formula. The rule, documented in docs/data-formats.md:

- a cell starting with one of those characters, or with a single quote, is written with one
  more single quote in front (``=1+1`` becomes ``'=1+1``, ``'quoted`` becomes ``''quoted``);
- a plain number (``-5``, ``-0.25``) is written as it is: it is a value, not a formula;
- a reader takes off exactly one leading quote when the character after it is one of those
  (``unguard``), so reading gives back exactly what was written.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from typing import Any

from django.http import HttpResponse

BOM = "\ufeff"
QUOTE = "'"
#: Cells a spreadsheet would run as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_GUARDED = (*FORMULA_STARTS, QUOTE)
_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def guard(value: Any) -> Any:
    """The cell as written: text that would run as a formula (or starts with a quote) gets a
    quote in front; everything else is unchanged."""
    if isinstance(value, str) and value.startswith(_GUARDED) and not _NUMBER.fullmatch(value):
        return QUOTE + value
    return value


def unguard(text: str) -> str:
    """The inverse of ``guard`` for a cell read back from a CSV file."""
    if text.startswith(QUOTE) and text[1:].startswith(_GUARDED):
        return text[1:]
    return text


def csv_text(rows: Iterable[Sequence[Any]], *, lineterminator: str = "\r\n") -> str:
    """The rows (header first) as CSV text with every cell guarded; no byte-order mark (add it
    with ``csv_bytes`` or ``csv_response`` where the text becomes a file)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=lineterminator)
    writer.writerows([guard(value) for value in row] for row in rows)
    return out.getvalue()


def csv_bytes(text: str) -> bytes:
    """CSV text as a file's bytes: UTF-8 with a byte-order mark."""
    return (BOM + text.removeprefix(BOM)).encode("utf-8")


def csv_response(*, filename: str, rows: Iterable[Sequence[Any]]) -> HttpResponse:
    """A download of the rows (header first), never cached by the browser."""
    response = HttpResponse(csv_bytes(csv_text(rows)), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
