"""One row of a lead file turned into a row for bulk_hopper, or a RowError naming the column and the reason."""
from __future__ import annotations

import json
import re
import zoneinfo
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from crm.models import Lead

from .import_columns import ATTRIBUTE, DO_NOT_CALL, FULL_NAME, IGNORE, PHONE_RANKS, is_phone, phone_order
from .phones import TIMEZONE_MAX, BadPhone, Phone, PhoneBook

MAX_CELL = 10000  # characters; a longer cell rejects its row (a stray quote swallowing the lines after it)
MAX_CELLS = 1000  # cells in one row
# A compliance cell that is empty or one of these leaves the row dialable; anything else ("TRUE", "yes", "1", "x",
# a date of opting out) parks it: when in doubt, do not call (TCPA, 47 CFR 64.1200(d): honour do-not-call requests).
_NOT_MARKED = frozenset({"", "false", "no", "n", "0", "-", "none", "null", "f"})
# A consent column saying one of these means there is no consent to call.
_NO_CONSENT = frozenset({"false", "no", "n", "0", "f", "none", "revoked", "withdrawn", "opted out", "opt out"})
_MAX_LENGTH = {
    name: Lead._meta.get_field(name).max_length
    for name in ("first_name", "last_name", "company", "email", "consent_source")
}
_ZONES = {name.lower(): name for name in zoneinfo.available_timezones()}
_to_json = json.JSONEncoder(ensure_ascii=False).encode  # what json.dumps(…, ensure_ascii=False) gives, set up once
# Plain ASCII addresses, a strict subset of what Django's validate_email accepts; anything else goes to it.
_PLAIN_EMAIL = re.compile(
    r"[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)


def split_full_name(full: str) -> tuple[str, str]:
    """'Ada Lovelace' -> ('Ada', 'Lovelace'); 'Lovelace, Ada' -> ('Ada', 'Lovelace'); 'Cher' -> ('Cher', '')."""
    full = " ".join(full.split())
    if "," in full:
        last, first = (p.strip() for p in full.split(",", 1))
        return first, last
    first, _, last = full.rpartition(" ")
    return (first, last) if first else (last, "")


@dataclass
class RowError(Exception):
    column: str
    value: str
    reason: str


class RowReader:
    """Turns one CSV row into a tuple for bulk_hopper (ROW_COLUMNS order), or raises RowError."""

    def __init__(self, headers: list[str], mapping: dict[str, str], region: str) -> None:
        self.book = PhoneBook(region)
        self.fields: dict[str, int] = {}
        self.attributes: list[tuple[int, str]] = []
        self.do_not_call: list[int] = []
        for i, header in enumerate(headers):
            target = mapping.get(header, ATTRIBUTE)
            if target == ATTRIBUTE:
                self.attributes.append((i, header))
            elif target == DO_NOT_CALL:
                self.do_not_call.append(i)
            elif target in PHONE_RANKS:
                continue
            elif target != IGNORE:
                self.fields[target] = i
        self.headers = headers
        self.phones = [(headers.index(h), h) for h in phone_order(mapping)]
        self.phone_column = self.phones[0][1]
        # Length limits of the fields this file fills (first and last name are always filled, maybe from a full name)
        self._limits = [
            (name, limit) for name, limit in _MAX_LENGTH.items()
            if name in self.fields or name in ("first_name", "last_name")
        ]
        self._width = len(headers)

    def phone_of(self, cells: list[str]) -> tuple[str, str]:
        """(column, cell as written) of the number the row is called on: its first valid one, else its first
        filled phone cell, else the first phone column and ""."""
        first = None
        for i, header in self.phones:
            raw = cells[i].strip() if i < len(cells) else ""
            if raw and is_phone(self.book, raw):
                return header, raw
            if raw and first is None:
                first = header, raw
        return first or (self.phone_column, "")

    def _choose(self, cells: list[str]) -> tuple[Phone, list[str]]:
        """The row's first valid number and the other valid ones (E.164), or RowError for the first bad cell."""
        chosen: Phone | None = None
        others: list[str] = []
        error: RowError | None = None
        for i, header in self.phones:
            raw = cells[i].strip() if i < len(cells) else ""
            if not raw:
                continue
            try:
                phone = self.book.normalise(raw)
            except BadPhone as exc:
                error = error or RowError(header, raw, phone_reason(raw, exc))
                continue
            if chosen is None:
                chosen = phone
            elif phone.e164 != chosen.e164 and phone.e164 not in others:
                others.append(phone.e164)
        if chosen is None:
            raise error or RowError(self.phone_column, "", "missing phone number")
        return chosen, others

    def read(self, line: int, cells: list[str]) -> tuple:
        if len(cells) > MAX_CELLS:
            raise RowError("", "", f"{len(cells)} cells in one row (at most {MAX_CELLS})")
        if max(map(len, cells), default=0) > MAX_CELL:
            i = next(i for i, cell in enumerate(cells) if len(cell) > MAX_CELL)
            column = self.headers[i] if i < len(self.headers) else f"Column {i + 1}"
            raise RowError(column, cells[i], f"longer than {MAX_CELL} characters")
        phone, alternates = self._choose(cells)

        width = len(cells)
        values = {name: (cells[i].strip() if i < width else "") for name, i in self.fields.items()}
        first, last = values.get("first_name", ""), values.get("last_name", "")
        if values.get(FULL_NAME) and not (first or last):
            first, last = split_full_name(values[FULL_NAME])
        values["first_name"], values["last_name"] = first, last

        for name, limit in self._limits:
            if len(values.get(name, "")) > limit:
                column = self.headers[self.fields.get(name, self.fields.get(FULL_NAME, 0))]
                raise RowError(column, values[name], f"longer than {limit} characters")
        email = values.get("email", "")
        if email and not (len(email) <= 254 and _PLAIN_EMAIL.fullmatch(email)):
            try:
                validate_email(email)
            except ValidationError:
                raise RowError(self.headers[self.fields["email"]], email, "invalid email address") from None

        zone = phone.timezone
        given_zone = values.get("timezone", "")
        if given_zone:
            names = [_ZONES.get(z.strip().lower()) for z in given_zone.split(",") if z.strip()]
            if not names or None in names:
                raise RowError(
                    self.headers[self.fields["timezone"]],
                    given_zone,
                    "unknown timezone (use an IANA name such as America/Chicago)",
                )
            zone = ",".join(sorted(set(names)))
            if len(zone) > TIMEZONE_MAX:
                raise RowError(self.headers[self.fields["timezone"]], given_zone, "too many timezones")

        attributes = {}
        for i, header in self.attributes:
            if i < width and (value := cells[i].strip()):
                attributes[header] = value
        for i in range(self._width, width):
            if value := cells[i].strip():
                attributes[f"Column {i + 1}"] = value
        if phone.extension:
            attributes["phone_extension"] = phone.extension
        if alternates:
            attributes["alternate_phones"] = ", ".join(alternates)

        return (
            line,
            phone.e164,
            first,
            last,
            values.get("company", ""),
            email,
            zone,
            values.get("consent_source", ""),
            _to_json(attributes) if attributes else "{}",
            self.marked_do_not_call(cells, values.get("consent_source", "")),
        )

    def marked_do_not_call(self, cells: list[str], consent: str) -> bool:
        """True when a compliance column marks the row, or its consent column says there is no consent."""
        if consent and consent.strip().lower() in _NO_CONSENT:
            return True
        width = len(cells)
        for i in self.do_not_call:
            if i < width and cells[i].strip().lower() not in _NOT_MARKED:
                return True
        return False


def phone_reason(raw: str, exc: BadPhone) -> str:
    """The reason a phone cell is rejected, as the error report shows it."""
    return f"invalid phone number: {exc}"
