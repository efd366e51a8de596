"""Rows of an Excel .xlsx sheet as the CSV reader gives them: (row number, cells as text), streamed.

openpyxl's read-only mode parses the sheet's XML as it is iterated, so memory stays flat with the sheet's size
(https://openpyxl.readthedocs.io/en/stable/optimized.html)."""
from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Callable, Iterator

from .csv_reading import UnreadableFile

ENCODING = "xlsx"  # what LeadImport.encoding records for a workbook
_ZIP = b"PK\x03\x04"


def is_workbook(data: bytes) -> bool:
    """True for a zip container (.xlsx); whether it really is a workbook is found out when it is opened."""
    return data[:4] == _ZIP


def sheet_names(data: bytes) -> list[str]:
    """The workbook's sheet names in tab order; UnreadableFile when it is not an .xlsx workbook."""
    book = _open(data)
    try:
        return list(book.sheetnames)
    finally:
        book.close()


def sheet_rows(data: bytes, sheet: str = "") -> Callable[[], Iterator[tuple[int, list[str]]]]:
    """A function giving a fresh iterator of (row number from 1, cells as text) of `sheet` (default: the first).

    Checks now that the workbook opens and has the sheet (UnreadableFile otherwise)."""
    if sheet and sheet not in sheet_names(data):
        raise UnreadableFile(f"The workbook has no sheet named “{sheet}”: pick one of its sheets.")

    def rows() -> Iterator[tuple[int, list[str]]]:
        book = _open(data)
        try:
            worksheet = book[sheet] if sheet else book.worksheets[0]
            worksheet.reset_dimensions()  # some writers record a wrong size; read every cell there is
            for number, values in enumerate(worksheet.iter_rows(values_only=True), start=1):
                yield number, [cell_text(v) for v in values]
        except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
            raise UnreadableFile(f"The workbook could not be read to the end ({exc}).") from None
        finally:
            book.close()

    return rows


def cell_text(value: object) -> str:
    """A cell as a CSV export would write it: numbers without a trailing .0 (2015550100.0 is "2015550100"),
    booleans TRUE/FALSE, dates ISO 8601, empty cells ""."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _open(data: bytes):
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        return openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError):
        raise UnreadableFile(
            "This file is a zip archive, not an Excel .xlsx workbook: save the list as .xlsx or CSV and upload that."
        ) from None
