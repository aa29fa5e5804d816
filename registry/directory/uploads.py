"""Uploaded spreadsheets: reading CSV/XLSX files into text cells, and keeping a file between the import steps.

Nothing here trusts the client: the file type is checked from the bytes, sizes and row counts are bounded,
and a stored upload gets a random name in the upload folder (the client's file name is only a label).
"""

from __future__ import annotations

import csv
import io
import json
import re
import secrets
import warnings
import zipfile
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask_babel import gettext as _

from ..core.models import utcnow
from ..core.services import ServiceError

EXTENSIONS = ("csv", "xlsx")
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_UNPACKED_BYTES = 100 * 1024 * 1024  # an .xlsx is a zip: refuse "zip bombs" before openpyxl unpacks them
MAX_ROWS = 5000
MAX_COLUMNS = 100
UPLOAD_TTL = timedelta(hours=24)
UPLOAD_ID = re.compile(r"^[0-9a-f]{32}$")


class ImportFileError(ServiceError):
    """The uploaded file cannot be used (type, size, encoding, shape); shown next to the file field."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "file")


# --- reading files --------------------------------------------------------------------------------


@dataclass
class Table:
    """A spreadsheet read into text: the header row and the data rows (all cells strings, rows padded)."""

    headers: list[str]
    rows: list[list[str]]


def _decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM (Excel's "Unicode text"), else Windows-1252."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252")  # Excel's "CSV" on Finnish Windows


def _delimiter(text: str) -> str:
    """The delimiter of the header line: ; (Finnish Excel), comma or tab, whichever occurs most."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: first.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ";"


def _cell(value: Any) -> str:
    """A cell as text: numbers without a needless .0 (phone numbers typed as numbers), dates as ISO."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    elif isinstance(value, datetime):
        value = value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    return str(value).replace("\x00", "").strip()


def _shape(raw_rows: list[list[Any]]) -> Table:
    rows = [[_cell(v) for v in row[:MAX_COLUMNS]] for row in raw_rows]
    while rows and not any(rows[-1]):
        rows.pop()
    if not rows or not any(rows[0]):
        raise ImportFileError(_("The file is empty or its first row has no column names."))
    width = max(len(r) for r in rows)
    headers = rows[0] + [""] * (width - len(rows[0]))
    headers = [h or _("Column %(n)d", n=i + 1) for i, h in enumerate(headers)]
    data = [r + [""] * (width - len(r)) for r in rows[1:]]
    if not data:
        raise ImportFileError(_("The file has column names but no rows to import."))
    if len(data) > MAX_ROWS:
        raise ImportFileError(_("The file has %(n)d rows; import at most %(max)d rows at a time.",
                                n=len(data), max=MAX_ROWS))
    return Table(headers, data)


def _read_csv(data: bytes) -> Table:
    if b"\x00" in data and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportFileError(_("The file is not a text (CSV) file."))
    try:
        text = _decode(data)
    except UnicodeDecodeError as error:
        raise ImportFileError(_("The characters of the file could not be read. Save it as CSV UTF-8.")) from error
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=False)
        raw = []
        for row in reader:
            raw.append(row)
            if len(raw) > MAX_ROWS + 1:
                break
    except csv.Error as error:
        raise ImportFileError(_("The CSV file could not be read: %(error)s", error=str(error))) from error
    return _shape(raw)


def _read_xlsx(data: bytes) -> Table:
    from openpyxl import load_workbook

    unreadable = _("The file could not be read as an Excel workbook (.xlsx).")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED_BYTES:
                raise ImportFileError(_("The workbook is too large when unpacked."))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles and extensions it does not read
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                sheet = workbook.worksheets[0]
                raw = []
                for row in sheet.iter_rows(values_only=True):
                    raw.append(list(row))
                    if len(raw) > MAX_ROWS + 1:
                        break
            finally:
                workbook.close()
    except ImportFileError:
        raise
    except Exception as error:  # openpyxl raises many kinds (zip, XML, key, value errors) for a broken file
        raise ImportFileError(unreadable) from error
    return _shape(raw)


def read_table(data: bytes, ext: str) -> Table:
    """Read an uploaded CSV or XLSX file into text cells; ImportFileError says what is wrong with it."""
    if ext == "xlsx":
        if not data.startswith(b"PK\x03\x04"):
            raise ImportFileError(_("The file is not an Excel workbook (.xlsx) although its name says so."))
        return _read_xlsx(data)
    return _read_csv(data)


def file_extension(filename: str) -> str | None:
    """The accepted extension (csv or xlsx) of an uploaded file name, else None."""
    suffix = Path(filename or "").suffix.lower().lstrip(".")
    return suffix if suffix in EXTENSIONS else None


# --- uploads kept between the steps ---------------------------------------------------------------


@dataclass
class Upload:
    """An uploaded file waiting for mapping and commit, stored in the instance folder under a random id."""

    id: str
    kind: str
    ext: str
    user_id: int
    filename: str
    created_at: str
    mapping: dict[str, int] = field(default_factory=dict)

    def path(self, folder: Path) -> Path:
        """Where the uploaded bytes are kept."""
        return folder / f"{self.id}.{self.ext}"


def store_upload(folder: Path, data: bytes, *, kind: str, ext: str, user_id: int, filename: str) -> Upload:
    """Save the bytes under a new random name (the client's file name is kept only as a label)."""
    folder.mkdir(parents=True, exist_ok=True)
    purge_uploads(folder, utcnow())
    upload = Upload(id=secrets.token_hex(16), kind=kind, ext=ext, user_id=user_id,
                    filename=Path(filename.replace("\\", "/")).name[:200], created_at=utcnow().isoformat())
    upload.path(folder).write_bytes(data)
    save_upload(folder, upload)
    return upload


def save_upload(folder: Path, upload: Upload) -> None:
    """Write the upload's description (kind, owner, mapping) next to the file."""
    (folder / f"{upload.id}.json").write_text(json.dumps(asdict(upload)), encoding="utf-8")


def load_upload(folder: Path, upload_id: str, user_id: int) -> Upload | None:
    """The user's own upload with this id, if it exists and has not expired."""
    if not UPLOAD_ID.match(upload_id):
        return None
    meta = folder / f"{upload_id}.json"
    try:
        upload = Upload(**json.loads(meta.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None
    if upload.user_id != user_id or not upload.path(folder).exists():
        return None
    if utcnow() - datetime.fromisoformat(upload.created_at) > UPLOAD_TTL:
        delete_upload(folder, upload.id)
        return None
    return upload


def delete_upload(folder: Path, upload_id: str) -> None:
    """Remove an upload and its description."""
    if UPLOAD_ID.match(upload_id):
        for path in folder.glob(f"{upload_id}.*"):
            path.unlink(missing_ok=True)


def purge_uploads(folder: Path, now: datetime) -> int:
    """Delete uploads older than 24 hours; returns how many files were removed."""
    removed = 0
    if not folder.is_dir():
        return 0
    for path in folder.iterdir():
        try:
            age = now.timestamp() - path.stat().st_mtime
        except OSError:
            continue
        if age > UPLOAD_TTL.total_seconds():
            path.unlink(missing_ok=True)
            removed += 1
    return removed
