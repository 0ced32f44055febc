"""Reading a dataset from a folder or a zip of CSV files, and writing one to a folder or a zip."""

from __future__ import annotations

import csv
import io
import zipfile
import zlib
from collections.abc import Iterable
from pathlib import Path

from config import csv_export, limits
from pcns.dataset.engine import DatasetError, Kind, Row

# The csv module's cap on a cell (131,072 characters unless set) is process-wide. Ours is
# higher, so that a cell far over its column's limit is still read and reported as a row
# error naming its column; one over this cap stops the file (a message naming file and line).
csv.field_size_limit(limits.IMPORT_MAX_CELL_CHARS)
#: Files expanding to less than this are not checked for their compression ratio.
RATIO_FLOOR_BYTES = 1024 * 1024


def read_csv(kind: Kind, handle: Iterable[str]) -> list[Row]:
    """The rows of one file, numbered as a spreadsheet shows them (the header is line 1).

    A file of more than ``IMPORT_MAX_ROWS`` rows, or with a cell of more than
    ``IMPORT_MAX_CELL_CHARS`` characters, is refused as a whole; a cell over its column's own
    limit is a row error later (pcns.dataset.fields).
    """
    reader = csv.DictReader(handle)
    try:
        return _read_rows(kind, reader)
    except csv.Error as error:
        # line_num counts the lines of the rows read whole: the failing row starts after them.
        raise DatasetError(f"{kind.file_name} line {reader.line_num + 1} cannot be read as CSV "
                           f"({_csv_reason(error)}).") from None


def _csv_reason(error: csv.Error) -> str:
    if "field larger than field limit" in str(error):
        return (f"a cell is longer than {limits.IMPORT_MAX_CELL_CHARS:,} characters, the most "
                f"any cell may hold")
    return "check its quotes"


def _read_rows(kind: Kind, reader: csv.DictReader) -> list[Row]:
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
            if len(rows) == limits.IMPORT_MAX_ROWS:
                raise DatasetError(f"{kind.file_name} has more than "
                                   f"{limits.IMPORT_MAX_ROWS:,} rows: split it into smaller "
                                   f"imports.")
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


def check_zip_sizes(infos: list[zipfile.ZipInfo]) -> None:
    """Refuse a zip bomb from its directory alone, before anything is expanded: too many files,
    a file that expands more than ``IMPORT_MAX_RATIO`` times, or more than
    ``IMPORT_MAX_EXPANDED_BYTES`` in all. Reading a member never yields more than the size its
    entry declares (zipfile stops there), so the declared sizes are a safe bound."""
    if len(infos) > limits.IMPORT_MAX_FILES:
        raise DatasetError(f"The zip file has {len(infos):,} files in it; an import has at most "
                           f"{limits.IMPORT_MAX_FILES}.")
    for info in infos:
        # Small files may compress very well (a column of empty cells) and can do no harm.
        if (info.file_size > RATIO_FLOOR_BYTES
                and info.file_size > limits.IMPORT_MAX_RATIO * max(info.compress_size, 1)):
            raise DatasetError(f"{Path(info.filename).name} expands more than "
                               f"{limits.IMPORT_MAX_RATIO} times its compressed size, which "
                               f"CSV files do not: it was not opened.")
    if sum(info.file_size for info in infos) > limits.IMPORT_MAX_EXPANDED_BYTES:
        raise DatasetError(f"The files in this zip expand to more than "
                           f"{limits.IMPORT_MAX_EXPANDED_BYTES // (1024 * 1024)} MB, the most "
                           f"one import may hold: split it into smaller imports.")


def read_zip(data: bytes, kinds: list[Kind]) -> dict[str, list[Row]]:
    """A zip of the CSV files (at its top level or in one folder)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise DatasetError("This is not a zip file.") from None
    with archive:
        infos = [info for info in archive.infolist() if not info.is_dir()]
        check_zip_sizes(infos)
        members = {Path(info.filename).name: info for info in infos
                   if info.filename.lower().endswith(".csv")
                   and not Path(info.filename).name.startswith(".")}
        if not members:
            raise DatasetError("The zip file has no CSV files in it.")
        _check_names(members, kinds)
        tables = {}
        for kind in kinds:
            info = members.get(kind.file_name)
            if info is None:
                continue
            try:
                with archive.open(info) as member, io.TextIOWrapper(
                        member, encoding="utf-8-sig", newline="") as handle:
                    tables[kind.name] = read_csv(kind, handle)
            except UnicodeDecodeError:
                raise DatasetError(f"{kind.file_name} is not UTF-8 text.") from None
            except (zipfile.BadZipFile, EOFError, zlib.error):
                raise DatasetError(f"{kind.file_name} is damaged in the zip file.") from None
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
