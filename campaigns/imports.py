"""Lead CSV imports: detect the columns, normalise and validate each row, dedupe, park DNC numbers, write in chunks.

Each chunk commits together with the import's checkpoint (processed_rows, counters, errors), so a crashed import
re-run with the same id resumes exactly after the last committed chunk and never adds a row twice."""
from __future__ import annotations

import json
import logging
import re
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.validators import validate_email
from django.db import DatabaseError, connection, transaction
from django.db.models import F, Func, JSONField, Value
from django.utils import timezone

from crm.models import Lead

from . import xlsx_reading
from .bulk_hopper import add_to_hopper
from .csv_reading import Table, UnreadableFile, read_table
from .models import Campaign, LeadImport
from .phones import TIMEZONE_MAX, BadPhone, Phone, PhoneBook

log = logging.getLogger(__name__)

CHUNK_ROWS = 10000
MAX_CELL = 10000  # characters; a longer cell rejects its row (a stray quote swallowing the lines after it)
MAX_CELLS = 1000  # cells in one row
ERROR_VALUE_MAX = 200  # characters of a rejected value kept in the report
# Asking the broker to take an import: a few quick tries, then the sweep (requeue_stalled_imports) takes over.
QUEUE_RETRY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}
MAPPING_SAMPLE_ROWS = 200  # rows read to rank phone columns and show first values
PHONE, FULL_NAME, ATTRIBUTE, IGNORE = "phone", "full_name", "attribute", "ignore"
DO_NOT_CALL = "do_not_call"
# Phone columns in the order a row's numbers are tried: PHONE first, then "phone_2" …
PHONE_RANKS = (PHONE, "phone_2", "phone_3", "phone_4", "phone_5")
TARGETS = {
    PHONE: "Phone",
    "phone_2": "Phone, 2nd choice",
    "phone_3": "Phone, 3rd choice",
    "phone_4": "Phone, 4th choice",
    "phone_5": "Phone, 5th choice",
    "first_name": "First name",
    "last_name": "Last name",
    FULL_NAME: "Full name (split into first and last)",
    "company": "Company",
    "email": "Email",
    "timezone": "Timezone (IANA name)",
    "consent_source": "Consent",
    DO_NOT_CALL: "Do-not-call flag (marked rows are never dialled)",
    ATTRIBUTE: "Keep as a lead attribute",
    IGNORE: "Ignore",
}
SYNONYMS = {
    PHONE: (
        "phone", "phone number", "phonenumber", "phone no", "mobile", "mobile phone", "mobile number", "mobile no",
        "cell", "cell phone", "cellphone", "cell number", "tel", "telephone", "telephone number", "tel no",
        "contact number", "direct phone", "direct dial", "work phone", "business phone", "msisdn",
    ),
    "first_name": ("first name", "firstname", "first", "given name", "forename", "fname"),
    "last_name": ("last name", "lastname", "last", "surname", "family name", "lname"),
    FULL_NAME: ("full name", "fullname", "name", "contact name", "lead name", "person"),
    "company": (
        "company", "company name", "organization", "organisation", "org", "account", "account name", "business",
        "business name", "employer",
    ),
    "email": ("email", "e mail", "email address", "e mail address", "work email"),
    "timezone": ("timezone", "time zone", "tz", "iana timezone", "time zone name"),
    "consent_source": ("consent", "consent source", "opt in", "opt in source", "optin", "permission"),
    DO_NOT_CALL: (
        "do not call", "donotcall", "dnc", "do not contact", "do not phone", "opt out", "opted out", "optout",
        "unsubscribed", "unsubscribe", "call opt out", "phone opt out", "dnc flag", "on dnc list",
    ),
}
_SYNONYM_INDEX = {s: target for target, names in SYNONYMS.items() for s in names}
# Words that make a header a candidate when no header is an exact synonym ("Primary Phone", "Work E-mail");
# a phone candidate must also hold numbers ("Phone Type" and "Account Number" do not).
_HEADER_WORDS = {
    PHONE: ("phone", "mobile", "cell", "tel", "telephone", "number"),
    "first_name": ("first name", "firstname"),
    "last_name": ("last name", "lastname", "surname"),
    "company": ("company", "organization", "organisation"),
    "email": ("email", "e mail"),
    "timezone": ("timezone", "time zone"),
    DO_NOT_CALL: ("do not call", "dnc", "do not contact", "opt out", "opted out", "unsubscribed"),
}
# A compliance cell that is empty or one of these leaves the row dialable; anything else ("TRUE", "yes", "1", "x",
# a date of opting out) parks it: when in doubt, do not call (TCPA, 47 CFR 64.1200(d): honour do-not-call requests).
_NOT_MARKED = frozenset({"", "false", "no", "n", "0", "-", "none", "null", "f"})
# A consent column saying one of these means there is no consent to call.
_NO_CONSENT = frozenset({"false", "no", "n", "0", "f", "none", "revoked", "withdrawn", "opted out", "opt out"})
_NON_ALNUM = re.compile(r"[\W_]+")
_MAX_LENGTH = {
    name: Lead._meta.get_field(name).max_length
    for name in ("first_name", "last_name", "company", "email", "consent_source")
}
_ZONES = {name.lower(): name for name in zoneinfo.available_timezones()}
# Plain ASCII addresses, a strict subset of what Django's validate_email accepts; anything else goes to it.
_PLAIN_EMAIL = re.compile(
    r"[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)


def header_key(header: str) -> str:
    return _NON_ALNUM.sub(" ", header.lower()).strip()


def detect_mapping(headers: list[str], sample: list[list[str]], region: str = "US") -> dict[str, str]:
    """Map each column to a lead field by its header; the rest become attributes. First an exact synonym
    ("Mobile"), then a header containing the field's word ("Primary Phone", "Work E-mail"); the first column
    that qualifies wins. Every phone-named column that holds numbers is a phone column (a "Fax" never is); when
    none is named, a column whose sample values are mostly valid numbers. Phone columns are ranked PHONE,
    "phone_2", … by how many sample rows they fill with a valid number (ties: exact name, then column order)."""
    mapping = {header: ATTRIBUTE for header in headers}
    taken: set[str] = set()
    book = PhoneBook(region)
    phones: list[int] = []  # candidate phone columns, exact names first
    for i, header in enumerate(headers):
        target = _SYNONYM_INDEX.get(header_key(header))
        if target == PHONE:
            phones.append(i)
            mapping[header] = PHONE
        elif target is not None and target not in taken:
            mapping[header] = target
            taken.add(target)
    for target, words in _HEADER_WORDS.items():
        for i, header in enumerate(headers):
            if (target in taken and target != PHONE) or mapping[header] != ATTRIBUTE:
                continue
            key = f" {header_key(header)} "
            if target == PHONE and " fax " in key:
                continue
            if target == DO_NOT_CALL and " mail " in key.replace(" e mail ", " mail ").replace(" email ", " mail "):
                continue  # "Email Opt Out" is about email, not calls
            if any(f" {word} " in key for word in words) and (
                target != PHONE or _mostly_phones(book, sample, i, when_empty=True)
            ):
                mapping[header] = target
                if target == PHONE:
                    phones.append(i)
                else:
                    taken.add(target)
    if not phones:
        for i, header in enumerate(headers):
            if mapping[header] == ATTRIBUTE and _mostly_phones(book, sample, i, when_empty=False):
                phones.append(i)
                break
        else:
            raise UnreadableFile(
                "No column holds phone numbers: name the phone column Phone, Mobile, Tel or Cell and upload again."
            )
    ranked = sorted(phones, key=lambda i: -_valid_count(book, sample, i))  # stable: ties keep name order
    for i in phones:
        mapping[headers[i]] = ATTRIBUTE
    for rank, i in zip(PHONE_RANKS, ranked, strict=False):
        mapping[headers[i]] = rank
    return mapping


def phone_order(mapping: dict[str, str]) -> list[str]:
    """The mapping's phone columns in the order a row's numbers are tried."""
    return sorted((h for h, t in mapping.items() if t in PHONE_RANKS), key=lambda h: PHONE_RANKS.index(mapping[h]))


def _valid_count(book: PhoneBook, sample: list[list[str]], index: int) -> int:
    return sum(1 for row in sample if index < len(row) and row[index].strip() and _is_phone(book, row[index].strip()))


def _mostly_phones(book: PhoneBook, sample: list[list[str]], index: int, when_empty: bool) -> bool:
    values = [row[index].strip() for row in sample if index < len(row) and row[index].strip()]
    if not values:
        return when_empty
    return sum(_is_phone(book, v) for v in values) * 2 > len(values)


def mapping_problems(mapping: dict[str, str], headers: list[str]) -> list[str]:
    """What is wrong with a mapping a manager confirmed, as sentences (empty when it is fine)."""
    problems = []
    if set(mapping) != set(headers):
        problems.append("The mapping does not match the file's columns.")
    unknown = sorted({t for t in mapping.values() if t not in TARGETS})
    if unknown:
        problems.append(f"Unknown lead field: {', '.join(unknown)}.")
    counts: dict[str, int] = {}
    for target in mapping.values():
        counts[target] = counts.get(target, 0) + 1
    if counts.get(PHONE, 0) != 1:
        problems.append("Choose exactly one phone column.")
    for target, n in counts.items():
        if n > 1 and target not in (PHONE, ATTRIBUTE, IGNORE, DO_NOT_CALL) and target in TARGETS:
            problems.append(f"Only one column can be {TARGETS[target]}.")
    return problems


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

    def phone_of(self, cells: list[str]) -> tuple[str, str]:
        """(column, cell as written) of the number the row is called on: its first valid one, else its first
        filled phone cell, else the first phone column and ""."""
        first = None
        for i, header in self.phones:
            raw = cells[i].strip() if i < len(cells) else ""
            if raw and _is_phone(self.book, raw):
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

        values = {name: (cells[i].strip() if i < len(cells) else "") for name, i in self.fields.items()}
        first, last = values.get("first_name", ""), values.get("last_name", "")
        if values.get(FULL_NAME) and not (first or last):
            first, last = split_full_name(values[FULL_NAME])
        values["first_name"], values["last_name"] = first, last

        for name, limit in _MAX_LENGTH.items():
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
            if i < len(cells) and cells[i].strip():
                attributes[header] = cells[i].strip()
        for i in range(len(self.headers), len(cells)):
            if cells[i].strip():
                attributes[f"Column {i + 1}"] = cells[i].strip()
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
            json.dumps(attributes, ensure_ascii=False),
            self.marked_do_not_call(cells, values.get("consent_source", "")),
        )

    def marked_do_not_call(self, cells: list[str], consent: str) -> bool:
        """True when a compliance column marks the row, or its consent column says there is no consent."""
        if consent.strip().lower() in _NO_CONSENT:
            return True
        return any(i < len(cells) and cells[i].strip().lower() not in _NOT_MARKED for i in self.do_not_call)


def read_lead_table(data: bytes, region: str, sheet: str = "") -> Table:
    """read_table, plus one judgement: a first row that names no lead field but holds a phone number is data,
    not a header (a list exported without headers), so it is imported rather than lost."""
    table = read_table(data, sample_rows=MAPPING_SAMPLE_ROWS, sheet=sheet)
    if not any(header_key(h) in _SYNONYM_INDEX for h in table.headers):
        book = PhoneBook(region)
        if any(_is_phone(book, cell.strip()) for cell in table.header_cells if cell.strip()):
            return table.without_header()
    return table


def start_import(campaign: Campaign, data: bytes, name: str, user=None, sheet: str = "") -> LeadImport:
    """Read the upload (CSV text, or an .xlsx workbook's `sheet`, default the first) and detect its columns;
    refuses (UnreadableFile) a file that is not a lead table."""
    table = read_lead_table(data, campaign.default_region, sheet)
    if not table.sample:
        raise UnreadableFile(
            f"The file has column names ({', '.join(h for h in table.headers if h)}) but no rows of leads below "
            "them: nothing to import."
        )
    mapping = detect_mapping(table.headers, table.sample, campaign.default_region)
    lead_import = LeadImport(
        campaign=campaign,
        uploaded_by=user if user is not None and user.is_authenticated else None,
        original_name=name[:255],
        encoding=table.encoding,
        delimiter=table.delimiter,
        sheet=sheet,
        mapping=mapping,
    )
    lead_import.file.save(name, ContentFile(data), save=False)
    lead_import.save()
    return lead_import


def open_table(lead_import: LeadImport) -> Table:
    with lead_import.file.open("rb") as f:
        return read_lead_table(f.read(), lead_import.campaign.default_region, lead_import.sheet)


def sheet_names(lead_import: LeadImport) -> list[str]:
    """The sheets of an uploaded workbook, [] for a CSV file."""
    if lead_import.encoding != xlsx_reading.ENCODING:
        return []
    with lead_import.file.open("rb") as f:
        return xlsx_reading.sheet_names(f.read())


def pick_sheet(lead_import: LeadImport, sheet: str) -> None:
    """Read another sheet of an uploaded workbook and detect its columns again (UnreadableFile if unusable)."""
    with lead_import.file.open("rb") as f:
        table = read_lead_table(f.read(), lead_import.campaign.default_region, sheet)
    if not table.sample:
        raise UnreadableFile(f"The sheet “{sheet}” has column names but no rows of leads below them.")
    lead_import.mapping = detect_mapping(table.headers, table.sample, lead_import.campaign.default_region)
    lead_import.sheet = sheet
    lead_import.save(update_fields=["mapping", "sheet"])


def queue(lead_import: LeadImport, mapping: dict[str, str]) -> None:
    """Save the confirmed mapping and hand the import to a worker once this transaction commits.

    A broker that stays down through QUEUE_RETRY leaves the import queued; requeue_stalled_imports sends it again."""
    lead_import.mapping = mapping
    lead_import.status = LeadImport.Status.QUEUED
    lead_import.queued_at = timezone.now()
    lead_import.save(update_fields=["mapping", "status", "queued_at"])
    transaction.on_commit(lambda: send(lead_import.pk))


def send(import_id: int) -> bool:
    """Ask the broker to run the import (bounded retry); False when it could not be reached."""
    from kombu.exceptions import OperationalError as BrokerError

    from .tasks import run_import as run_import_task

    try:
        run_import_task.apply_async((import_id,), retry=True, retry_policy=QUEUE_RETRY)
    except (BrokerError, OSError) as exc:
        log.warning("import %s: broker unreachable (%s); the sweep will queue it again", import_id, exc)
        return False
    return True


class ImportTakenOver(Exception):
    """Another run of the same import committed past our position; this run stops without writing."""


def run_import(import_id: int, chunk_rows: int = CHUNK_ROWS) -> LeadImport:
    """Import (or resume) one LeadImport; a finished or failed import is left as it is."""
    lead_import = LeadImport.objects.select_related("campaign").get(pk=import_id)
    if lead_import.status in (LeadImport.Status.DONE, LeadImport.Status.FAILED):
        return lead_import
    try:
        table = open_table(lead_import)
    except (UnreadableFile, OSError) as exc:
        return _fail(lead_import, str(exc))
    reader = RowReader(table.headers, lead_import.mapping, lead_import.campaign.default_region)

    if lead_import.status != LeadImport.Status.RUNNING:
        try:
            total = sum(1 for _ in table.rows())
        except UnreadableFile as exc:
            return _fail(lead_import, str(exc))
        LeadImport.objects.filter(pk=import_id, processed_rows=0).update(
            status=LeadImport.Status.RUNNING, total_rows=total
        )
        lead_import.refresh_from_db()

    rows = table.rows()
    seen: dict[str, int] = {}
    position = lead_import.processed_rows
    for line, cells in islice(rows, position):  # resuming: rebuild the in-file dedupe state, write nothing
        try:
            seen.setdefault(reader.read(line, cells)[1], line)
        except RowError:
            pass

    try:
        for chunk in _chunks(rows, chunk_rows):
            position = _import_chunk(lead_import, reader, chunk, seen, position)
    except ImportTakenOver:
        return LeadImport.objects.get(pk=import_id)
    except UnreadableFile as exc:
        return _fail(LeadImport.objects.get(pk=import_id), str(exc))
    LeadImport.objects.filter(pk=import_id, status=LeadImport.Status.RUNNING).update(
        status=LeadImport.Status.DONE, finished_at=timezone.now()
    )
    return LeadImport.objects.get(pk=import_id)


def _import_chunk(
    lead_import: LeadImport, reader: RowReader, chunk: list[tuple[int, list[str]]], seen: dict[str, int], position: int
) -> int:
    rows, errors, raw_phones = [], [], {}
    invalid = duplicates = 0
    for line, cells in chunk:
        try:
            row = reader.read(line, cells)
        except RowError as exc:
            invalid += 1
            value = exc.value if len(exc.value) <= ERROR_VALUE_MAX else exc.value[:ERROR_VALUE_MAX] + "…"
            errors.append({"line": line, "column": exc.column, "value": value, "reason": exc.reason})
            continue
        e164 = row[1]
        first = seen.get(e164)
        if first is not None:
            duplicates += 1
            column, raw = reader.phone_of(cells)
            errors.append(
                {"line": line, "column": column, "value": raw, "reason": f"duplicate of line {first} in this file"}
            )
            continue
        seen[e164] = line
        raw_phones[line] = reader.phone_of(cells)
        rows.append(row)

    with transaction.atomic():
        postgres = connection.vendor == "postgresql"
        locking = LeadImport.objects.select_for_update()
        locked = (locking.defer("errors") if postgres else locking).get(pk=lead_import.pk)
        if locked.processed_rows != position or locked.status != LeadImport.Status.RUNNING:
            raise ImportTakenOver
        result = add_to_hopper(locked.campaign_id, locked.pk, rows, timezone.now())
        for line in result.duplicate_lines:
            column, raw = raw_phones[line]
            errors.append({"line": line, "column": column, "value": raw, "reason": "already in this campaign"})
        errors.sort(key=lambda e: e["line"])
        LeadImport.objects.filter(pk=locked.pk).update(
            processed_rows=position + len(chunk),
            imported=F("imported") + result.imported,
            dnc=F("dnc") + result.dnc,
            invalid=F("invalid") + invalid,
            duplicates=F("duplicates") + duplicates + len(result.duplicate_lines),
            # PostgreSQL appends in place; the whole list is not read back and rewritten for every chunk.
            errors=_JsonbAppend(F("errors"), Value(errors, output_field=JSONField()))
            if postgres
            else locked.errors + errors,
        )
    return position + len(chunk)


class _JsonbAppend(Func):
    template = "%(expressions)s"
    arg_joiner = " || "
    output_field = JSONField()


def fail(import_id: int, error: BaseException) -> None:
    """Give up on an import that cannot go on; rows of committed chunks stay, and re-importing skips them."""
    try:
        lead_import = LeadImport.objects.get(pk=import_id)
    except DatabaseError:  # the error that stopped us may have broken the connection: open a fresh one
        connection.close()
        lead_import = LeadImport.objects.get(pk=import_id)
    if lead_import.status in (LeadImport.Status.DONE, LeadImport.Status.FAILED):
        return
    _fail(
        lead_import,
        f"The import stopped after {lead_import.processed_rows} of {lead_import.total_rows} rows ({error}). "
        "Rows before that were imported; upload the file again to add the rest (imported rows are skipped).",
    )


def _fail(lead_import: LeadImport, why: str) -> LeadImport:
    lead_import.status = LeadImport.Status.FAILED
    lead_import.failure = why
    lead_import.finished_at = timezone.now()
    lead_import.save(update_fields=["status", "failure", "finished_at"])
    return lead_import


def _chunks(rows: Iterator, size: int) -> Iterator[list]:
    while chunk := list(islice(rows, size)):
        yield chunk


def report(lead_import: LeadImport) -> dict:
    """The import's outcome as the command prints it; `dnc` rows are included in `imported`."""
    return {
        "total_rows": lead_import.total_rows,
        "imported": lead_import.imported,
        "duplicates": lead_import.duplicates,
        "invalid": lead_import.invalid,
        "dnc": lead_import.dnc,
        "errors": lead_import.errors,
    }


ERROR_COLUMNS = ("line", "column", "value", "reason")


def error_rows(lead_import: LeadImport) -> Iterator[tuple]:
    for e in lead_import.errors:
        yield tuple(e[c] for c in ERROR_COLUMNS)


def phone_reason(raw: str, exc: BadPhone) -> str:
    """The reason a phone cell is rejected, as the error report shows it."""
    return f"invalid phone number: {exc}"


def _is_phone(book: PhoneBook, value: str) -> bool:
    try:
        book.normalise(value)
    except BadPhone:
        return False
    return True
