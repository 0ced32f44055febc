"""Reading a dataset from a folder or a zip of CSV files, and writing one to a folder or a zip."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable
from pathlib import Path

from config import csv_export
from pcns.dataset.engine import DatasetError, Kind, Row

MAX_ZIP_BYTES = 2 * 1024**3  # what the files may expand to: a guard against zip bombs


def read_csv(kind: Kind, handle: Iterable[str]) -> list[Row]:
    """The rows of one file, numbered as a spreadsheet shows them (the header is line 1)."""
    reader = csv.DictReader(handle)
    header = [name.strip() for name in reader.fieldnames or []]
    if not header:
        raise DatasetError(f"{kind.file_name} is empty: it needs a header row.")
    known = {column.name for column in kind.columns}
    unknown = [name for name in header if name not in known]
    if unknown:
        raise DatasetError(f"{kind.file_name} has columns this format does not have: "
                           f"{', '.join(unknown)}. See docs/data-formats.md.")
    missing = [c.name for c in kind.columns if c.required and c.name not in header]
    if missing:
        raise DatasetError(f"{kind.file_name} is missing required columns: {', '.join(missing)}.")
    reader.fieldnames = header
    rows = []
    for row in reader:
        if None in row:
            raise DatasetError(f"{kind.file_name} line {reader.line_num} has more cells than "
                               f"the header.")
        if any((value or "").strip() for value in row.values()):
            rows.append(Row(reader.line_num, {k: csv_export.unguard(v or "")
                                              for k, v in row.items()}))
    return rows


def _check_names(names: Iterable[str], kinds: list[Kind]) -> None:
    expected = {kind.file_name for kind in kinds}
    unknown = sorted(name for name in names if name not in expected)
    if unknown:
        raise DatasetError(f"Unknown files: {', '.join(unknown)}. The files are "
                           f"{', '.join(kind.file_name for kind in kinds)}.")


def read_folder(folder: Path, kinds: list[Kind]) -> dict[str, list[Row]]:
    if not folder.is_dir():
        raise DatasetError(f"{folder} is not a folder.")
    _check_names([p.name for p in folder.iterdir() if p.suffix.lower() == ".csv"], kinds)
    tables = {}
    for kind in kinds:
        path = folder / kind.file_name
        if path.exists():
            with path.open(newline="", encoding="utf-8-sig") as handle:
                tables[kind.name] = read_csv(kind, handle)
    return tables


def read_zip(data: bytes, kinds: list[Kind]) -> dict[str, list[Row]]:
    """A zip of the CSV files (at its top level or in one folder)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise DatasetError("This is not a zip file.") from None
    with archive:
        members = {Path(info.filename).name: info for info in archive.infolist()
                   if not info.is_dir() and info.filename.lower().endswith(".csv")
                   and not Path(info.filename).name.startswith(".")}
        if not members:
            raise DatasetError("The zip file has no CSV files in it.")
        if sum(info.file_size for info in members.values()) > MAX_ZIP_BYTES:
            raise DatasetError("The files in this zip are too large to import in one go.")
        _check_names(members, kinds)
        tables = {}
        for kind in kinds:
            info = members.get(kind.file_name)
            if info is None:
                continue
            try:
                text = archive.read(info).decode("utf-8-sig")
            except UnicodeDecodeError:
                raise DatasetError(f"{kind.file_name} is not UTF-8 text.") from None
            tables[kind.name] = read_csv(kind, io.StringIO(text, newline=""))
    return tables


def csv_text(header: list[str], rows: list[dict[str, str]]) -> str:
    """One file's text, every cell guarded against running as a formula (``read_csv`` reverses
    it: config.csv_export)."""
    return csv_export.csv_text([header, *([row.get(name, "") for name in header] for row in rows)],
                               lineterminator="\n")


def write_folder(folder: Path, files: dict[str, str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_bytes(csv_export.csv_bytes(text))


def zip_bytes(files: dict[str, str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, csv_export.csv_bytes(text))
    return out.getvalue()
