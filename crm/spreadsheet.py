"""CSV exports a spreadsheet opens safely: cells that Excel, LibreOffice or Sheets would run as formulas are defused."""
from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from typing import IO, Any

import phonenumbers

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# E.164: '+', a country code not starting with 0, at most 15 digits in all (ITU-T E.164 section 6). Digits only,
# so such a cell can carry no formula; phonenumbers then checks the length fits the country code.
E164 = re.compile(r"\+[1-9][0-9]{1,14}")


def is_e164(value: str) -> bool:
    """True for a well-formed E.164 number ('+15551234567'): digits only, a real country code, a possible length.

    "Possible" rather than "valid" (phonenumbers.is_possible_number): fictional ranges such as +1 555 are
    well-formed numbers that leads and tests use, and validity data changes with each numbering plan.
    """
    if not E164.fullmatch(value):
        return False
    try:
        return phonenumbers.is_possible_number(phonenumbers.parse(value, None))
    except phonenumbers.NumberParseException:
        return False


def neutralise(value: Any) -> Any:
    """Prefix an apostrophe to text a spreadsheet would run as a formula; numbers and other types pass unchanged.

    An E.164 phone number is written as is: it is digits after the '+', so a spreadsheet reads at worst a number,
    never a formula (OWASP, "CSV Injection": the danger is a cell starting =, +, -, @, tab or CR that carries one).
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not is_e164(value):
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
