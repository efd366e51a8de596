"""CSV exports a spreadsheet opens safely: cells that Excel, LibreOffice or Sheets would run as formulas are defused."""
from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from typing import IO, Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """Prefix an apostrophe to text a spreadsheet would run as a formula; numbers and other types pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_csv(out: IO[str], header: Iterable[str], rows: Iterable[Iterable[Any]]) -> None:
    """Write a header and rows to `out` (a text file or an HttpResponse), every text cell neutralised."""
    writer = csv.writer(out)
    writer.writerow([neutralise(h) for h in header])
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])


class _Echo:
    def write(self, value: str) -> str:
        return value


def stream_csv(header: Iterable[str], rows: Iterable[Iterable[Any]], bom: bool = True) -> Iterator[str]:
    """Neutralised CSV lines for a StreamingHttpResponse; the BOM makes Excel read UTF-8 names correctly."""
    writer = csv.writer(_Echo())
    yield ("\ufeff" if bom else "") + writer.writerow([neutralise(h) for h in header])
    for row in rows:
        yield writer.writerow([neutralise(cell) for cell in row])
