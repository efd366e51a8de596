"""Turning the bytes of an uploaded lead list into rows: encoding, delimiter, header, physical line numbers."""
from __future__ import annotations

import codecs
import csv
import io
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import BinaryIO

Opener = Callable[[], BinaryIO]  # opens the file afresh, from its start, for one pass
BLOCK = 1 << 20  # bytes read at a time when a file is scanned

DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
ENCODING_NAMES = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 with BOM",
    "utf-16": "UTF-16",
    "windows-1252": "Windows-1252",
    "latin-1": "Latin-1",
}
SNIFF_LINES = 50
# Characters no text table holds: NUL and the C0 controls other than tab, newline, carriage return and form feed.
_CONTROL = bytes(c for c in range(32) if c not in (9, 10, 12, 13))

FIELD_LIMIT_MB = 10
csv.field_size_limit(FIELD_LIMIT_MB * 1024 * 1024)
# Excel writes `sep=;` as the first line of a CSV it saved with a separator other than the locale's; Excel and
# LibreOffice obey it and do not show it (https://superuser.com/q/773644 — an Excel convention, not RFC 4180).
_SEP_HINT = re.compile(r'^"?sep=(.)"?[,;\t|]*\s*$', re.IGNORECASE)


class UnreadableFile(ValueError):
    """The file is not a table we can read; the message is one sentence a manager can act on."""


@dataclass
class Table:
    """A file's layout; rows are read from `opener` on every pass, so the file is never held in memory whole."""

    opener: Opener | None
    encoding: str
    delimiter: str
    headers: list[str]
    header_line: int
    sample: list[list[str]] = field(default_factory=list)
    header_cells: list[str] = field(default_factory=list)
    # Rows of a non-text source (an .xlsx sheet): a fresh iterator of (row number, cells) per call.
    source: Callable[[], Iterator[tuple[int, list[str]]]] | None = None

    def without_header(self) -> Table:
        """The same file read as having no header row: its first row is data, columns are "Column N"."""
        width = max([len(self.header_cells)] + [len(r) for r in self.sample])
        headers = [f"Column {i}" for i in range(1, width + 1)]
        sample = [self.header_cells, *self.sample[:-1]] if self.sample else [self.header_cells]
        return replace(self, headers=headers, header_line=self.header_line - 1, sample=sample, header_cells=[])

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """Yield (line where the row starts, cells) for every non-blank data row.

        The line is the physical line in the file (the row number in a sheet), so a row after a quoted newline
        reports the right line. The whole file is refused (UnreadableFile, naming the line) when a field is over
        FIELD_LIMIT_MB."""
        for line, cells in self.all_rows():
            if line > self.header_line:
                yield line, cells

    def count_rows(self) -> int:
        """How many rows rows() yields, counted in one lighter pass (UnreadableFile as rows() raises it)."""
        if self.source is not None:
            return sum(1 for _ in self.rows())
        count = 0
        with io.TextIOWrapper(self.opener(), encoding=self.encoding, newline="") as stream:
            reader = csv.reader(stream, delimiter=self.delimiter)
            consumed, header_line = 0, self.header_line
            try:
                for cells in reader:
                    if consumed >= header_line and any(cells) and "".join(cells).strip():
                        count += 1
                    consumed = reader.line_num
            except csv.Error as exc:
                raise UnreadableFile(describe_csv_error(exc, consumed + 1)) from None
        return count

    def all_rows(self) -> Iterator[tuple[int, list[str]]]:
        """Every non-blank row, the preamble and the header included."""
        if self.source is not None:
            for line, cells in self.source():
                if not _is_blank(cells):
                    yield line, cells
            return
        with io.TextIOWrapper(self.opener(), encoding=self.encoding, newline="") as stream:
            reader = csv.reader(stream, delimiter=self.delimiter)
            consumed = 0
            while True:
                try:
                    cells = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    raise UnreadableFile(describe_csv_error(exc, consumed + 1)) from None
                start = consumed + 1
                consumed = reader.line_num
                if not _is_blank(cells):
                    yield start, cells


def decode(data: bytes) -> tuple[str, str]:
    """Return (text, encoding name): UTF-8 with or without BOM, UTF-16 with BOM, then Windows-1252, then Latin-1."""
    name = detect_encoding(lambda: io.BytesIO(data))
    return data.decode(name), name


def detect_encoding(opener: Opener) -> str:
    """The encoding name of the file `opener` opens, read in BLOCKs (never whole): UTF-8 with or without BOM,
    UTF-16 with BOM, then Windows-1252, then Latin-1. UnreadableFile for an empty, binary or .xls file."""
    with opener() as f:
        head = f.read(65536)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnreadableFile("This is an old Excel .xls workbook: save it as .xlsx or CSV and upload that.")
    utf16 = head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    if utf16:
        candidates: tuple[str, ...] = ("utf-16",)
    else:
        candidates = ("utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8", "windows-1252")
        controls = sum(head.count(bytes([c])) for c in _CONTROL)
        if controls > max(8, len(head) // 200):
            raise UnreadableFile("This file is binary, not a text table: export the list as CSV and upload that.")
    first_pass = True
    for name in candidates:
        decoder = codecs.getincrementaldecoder(name)()
        blank = True
        try:
            with opener() as f:
                while block := f.read(BLOCK):
                    if first_pass:
                        if blank and block.strip():
                            blank = False
                        if not utf16 and b"\x00" in block:
                            raise UnreadableFile(
                                "This file is binary, not a text table: export the list as CSV and upload that."
                            )
                    decoder.decode(block)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            if first_pass and blank:
                blank = False  # undecodable bytes are not blank
            first_pass = False
            continue
        finally:
            if first_pass and blank:
                raise UnreadableFile("The file is empty.")
        return name
    if utf16:
        raise UnreadableFile("This file is binary, not a text table: export the list as CSV and upload that.")
    return "latin-1"  # decodes any bytes


def sniff_delimiter(text: str) -> str:
    """The candidate that splits the first lines into the most columns, consistently from row to row."""
    head = text[: 256 * 1024]
    if len(text) > len(head) and head.rfind("\n") > 0:
        head = head[: head.rfind("\n") + 1]  # whole lines only; a huge line is left to the reader to report
    sample = "".join(io.StringIO(head, newline="").readlines()[: SNIFF_LINES * 4])
    best, best_score = ",", (-1.0, 0)
    for delimiter in DELIMITERS:
        rows = [r for r in csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter) if not _is_blank(r)]
        rows = rows[:SNIFF_LINES]
        if not rows:
            continue
        width = len(rows[0])
        if width < 2:
            continue
        consistent = sum(1 for r in rows if len(r) == width) / len(rows)
        score = (consistent, width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def separator_hint(text: str) -> str | None:
    """The delimiter Excel's `sep=X` first line names, or None when the file has no such line."""
    first = text[:64].split("\n", 1)[0].rstrip("\r")
    match = _SEP_HINT.match(first)
    return match.group(1) if match else None


def read_table(data: bytes | Opener, sample_rows: int = 5, sheet: str = "") -> Table:
    """Decode, sniff and find the header of `data` (the bytes, or an Opener of the file, which is then streamed);
    refuses (UnreadableFile) anything that is not a table.

    An .xlsx workbook is read from `sheet` (default: the first). A `sep=` first line sets the delimiter; title and
    blank rows above the header are skipped: the header is the first of the first SNIFF_LINES rows that fills at
    least half (and at least two) of the widest row's cells."""
    from . import xlsx_reading

    opener: Opener = data if callable(data) else (lambda: io.BytesIO(data))
    with opener() as f:
        magic = f.read(4)
    if xlsx_reading.is_workbook(magic):
        with opener() as f:
            source = xlsx_reading.sheet_rows(f.read(), sheet)
        table = Table(None, xlsx_reading.ENCODING, "", [], 0, source=source)
        return _with_header(table, sample_rows)
    if not magic:
        raise UnreadableFile("The file is empty.")
    encoding = detect_encoding(opener)
    with io.TextIOWrapper(opener(), encoding=encoding, newline="") as stream:
        head = stream.read(256 * 1024 + 1)
    hint = separator_hint(head)
    try:
        delimiter = hint or sniff_delimiter(head)
    except csv.Error as exc:
        raise UnreadableFile(describe_csv_error(exc, 1)) from None
    table = Table(opener, encoding, delimiter, [], 1 if hint else 0)
    return _with_header(table, sample_rows)


def _with_header(table: Table, sample_rows: int) -> Table:
    head: list[tuple[int, list[str]]] = []  # (start line, cells) of the first non-blank rows
    sample: list[list[str]] = []
    header_at: int | None = None
    for line, cells in table.all_rows():
        if line <= table.header_line:
            continue  # the sep= hint
        if header_at is None:
            head.append((line, cells))
            if len(head) < SNIFF_LINES:
                continue
            header_at = _header_index(head)
            sample.extend(c for _, c in head[header_at + 1:])
        else:
            sample.append(cells)
        if len(sample) >= sample_rows:
            break
    if not head:
        raise UnreadableFile("The file is empty.")
    if header_at is None:
        header_at = _header_index(head)
        sample.extend(c for _, c in head[header_at + 1:])
    header_line, header_cells = head[header_at]
    return replace(
        table, headers=unique_headers(header_cells), header_line=header_line, sample=sample[:sample_rows],
        header_cells=header_cells,
    )


def _header_index(rows: list[tuple[int, list[str]]]) -> int:
    def filled(cells: list[str]) -> int:
        return sum(1 for c in cells if c.strip())

    widest = max(filled(cells) for _, cells in rows)
    needed = max(2, math.ceil(widest / 2)) if widest >= 2 else 1
    return next(i for i, (_, cells) in enumerate(rows) if filled(cells) >= needed)


def describe_csv_error(exc: csv.Error, line: int) -> str:
    """One sentence for a csv.Error raised while reading the row that starts at physical `line`."""
    if "field larger than field limit" in str(exc):
        return (
            f"The file cannot be read: line {line} holds a field longer than {FIELD_LIMIT_MB} MB (often a quote "
            "that is never closed); fix that line and upload again."
        )
    return f"The file is not a readable table near line {line} ({exc})."


def unique_headers(cells: list[str]) -> list[str]:
    """Trimmed header names; blanks become "Column N" and repeats get " (2)", so each is a unique mapping key."""
    seen: dict[str, int] = {}
    out = []
    for i, raw in enumerate(cells, start=1):
        name = " ".join(raw.split()) or f"Column {i}"
        count = seen.get(name.lower(), 0) + 1
        seen[name.lower()] = count
        out.append(name if count == 1 else f"{name} ({count})")
    return out


def _is_blank(cells: list[str]) -> bool:
    return not any(cells) or not "".join(cells).strip()
