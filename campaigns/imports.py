"""Lead CSV imports: detect the columns, normalise and validate each row, dedupe, park DNC numbers, write in chunks.

Each chunk commits together with the import's checkpoint (processed_rows, counters, its row errors), so a crashed
import re-run with the same id resumes exactly after the last committed chunk and never adds a row twice."""
from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from itertools import islice

from django.core.files.base import ContentFile
from django.db import DatabaseError, connection, transaction
from django.db.models import F
from django.utils import timezone

from webhooks import payloads as webhook_payloads

from . import xlsx_reading
from .bulk_hopper import add_to_hopper
from .csv_reading import Opener, Table, UnreadableFile, read_table
from .import_columns import (  # noqa: F401 - the names the pages, the command and the tests use from here
    _SYNONYM_INDEX,
    ATTRIBUTE,
    DO_NOT_CALL,
    FULL_NAME,
    IGNORE,
    PHONE,
    PHONE_RANKS,
    SYNONYMS,
    TARGETS,
    detect_mapping,
    header_key,
    is_phone,
    mapping_problems,
    phone_order,
)
from .import_errors import ERROR_COLUMNS, all_errors, error_rows, write_errors  # noqa: F401
from .import_rows import RowError, RowReader, split_full_name  # noqa: F401
from .models import Campaign, LeadImport
from .phones import PhoneBook
from .read_ahead import read_ahead

log = logging.getLogger(__name__)

CHUNK_ROWS = 10000
ERROR_VALUE_MAX = 200  # characters of a rejected value kept in the report
# Asking the broker to take an import: a few quick tries, then the sweep (requeue_stalled_imports) takes over.
QUEUE_RETRY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}
MAPPING_SAMPLE_ROWS = 200  # rows read to rank phone columns and show first values
def read_lead_table(data: bytes | Opener, region: str, sheet: str = "") -> Table:
    """read_table, plus one judgement: a first row that names no lead field but holds a phone number is data,
    not a header (a list exported without headers), so it is imported rather than lost."""
    table = read_table(data, sample_rows=MAPPING_SAMPLE_ROWS, sheet=sheet)
    if not any(header_key(h) in _SYNONYM_INDEX for h in table.headers):
        book = PhoneBook(region)
        if any(is_phone(book, cell.strip()) for cell in table.header_cells if cell.strip()):
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
    """The stored upload's table, streamed from storage on every pass (a 1M-row file is never held whole)."""
    storage, name = lead_import.file.storage, lead_import.file.name

    def opener():
        stored = storage.open(name, "rb")
        inner = getattr(stored, "file", None)
        if isinstance(inner, io.BufferedIOBase):
            return inner  # a local file: read it as a stream
        with stored:
            return io.BytesIO(stored.read())  # a remote storage without a stream: one copy in memory

    return read_lead_table(opener, lead_import.campaign.default_region, lead_import.sheet)


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
            total = table.count_rows()
        except UnreadableFile as exc:
            return _fail(lead_import, str(exc))
        LeadImport.objects.filter(pk=import_id, processed_rows=0).update(
            status=LeadImport.Status.RUNNING, total_rows=total
        )
        lead_import.refresh_from_db()

    rows = table.rows()
    seen: dict[int, int] = {}  # E.164 digits as a number -> first line: half the memory of str keys
    position = lead_import.processed_rows
    for line, cells in islice(rows, position):  # resuming: rebuild the in-file dedupe state, write nothing
        try:
            seen.setdefault(int(reader.read(line, cells)[1][1:]), line)
        except RowError:
            pass

    # Rows of the next chunk are read and checked in a thread (with a reader of its own) while this one writes
    # the chunk before.
    prepared = (_prepare(reader, chunk, seen) for chunk in _chunks(rows, chunk_rows))
    writer = RowReader(table.headers, lead_import.mapping, lead_import.campaign.default_region)
    try:
        with closing(read_ahead(prepared, name=f"import-{import_id}")) as chunks:  # stops the thread on any exit
            for chunk in chunks:
                position = _write_chunk(lead_import, writer, chunk, position)
    except ImportTakenOver:
        return LeadImport.objects.get(pk=import_id)
    except UnreadableFile as exc:
        return _fail(LeadImport.objects.get(pk=import_id), str(exc))
    with transaction.atomic():
        finished = LeadImport.objects.filter(pk=import_id, status=LeadImport.Status.RUNNING).update(
            status=LeadImport.Status.DONE, finished_at=timezone.now()
        )
        lead_import = LeadImport.objects.select_related("campaign").get(pk=import_id)
        if finished:
            webhook_payloads.import_finished(lead_import)
    return lead_import


@dataclass
class _Prepared:
    """One chunk of the file, checked: its rows for bulk_hopper, its row errors, and the cells as read."""

    cells: list[tuple[int, list[str]]]
    rows: list[tuple]
    errors: list[dict]
    invalid: int
    duplicates: int


def _prepare(reader: RowReader, chunk: list[tuple[int, list[str]]], seen: dict[int, int]) -> _Prepared:
    """Check a chunk's rows and drop numbers seen earlier in the file (no database: runs in the read-ahead thread)."""
    rows, errors = [], []
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
        number = int(e164[1:])
        first = seen.get(number)
        if first is not None:
            duplicates += 1
            column, raw = reader.phone_of(cells)
            errors.append(
                {"line": line, "column": column, "value": raw, "reason": f"duplicate of line {first} in this file"}
            )
            continue
        seen[number] = line
        rows.append(row)
    return _Prepared(chunk, rows, errors, invalid, duplicates)


def _write_chunk(lead_import: LeadImport, reader: RowReader, chunk: _Prepared, position: int) -> int:
    errors = list(chunk.errors)
    with transaction.atomic():
        locked = LeadImport.objects.select_for_update().get(pk=lead_import.pk)
        if locked.processed_rows != position or locked.status != LeadImport.Status.RUNNING:
            raise ImportTakenOver
        result = add_to_hopper(locked.campaign_id, locked.pk, chunk.rows, timezone.now())
        cells_at = dict(chunk.cells) if result.duplicate_lines else {}
        for line in result.duplicate_lines:
            column, raw = reader.phone_of(cells_at[line])
            errors.append({"line": line, "column": column, "value": raw, "reason": "already in this campaign"})
        errors.sort(key=lambda e: e["line"])
        write_errors(locked.pk, errors)  # each chunk adds its own rows: the cost does not grow with the earlier ones
        LeadImport.objects.filter(pk=locked.pk).update(
            processed_rows=position + len(chunk.cells),
            imported=F("imported") + result.imported,
            dnc=F("dnc") + result.dnc,
            invalid=F("invalid") + chunk.invalid,
            duplicates=F("duplicates") + chunk.duplicates + len(result.duplicate_lines),
        )
    return position + len(chunk.cells)


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
    with transaction.atomic():
        lead_import.save(update_fields=["status", "failure", "finished_at"])
        webhook_payloads.import_finished(lead_import)
    return lead_import


def _chunks(rows: Iterator, size: int) -> Iterator[list]:
    while chunk := list(islice(rows, size)):
        yield chunk


def report(lead_import: LeadImport) -> dict:
    """The import's outcome as the command prints it; `dnc` rows are included in `imported`.

    {"total_rows", "imported", "duplicates", "invalid", "dnc": int, "errors": [{"line", "column", "value", "reason"}]}
    with the errors in line order."""
    return {
        "total_rows": lead_import.total_rows,
        "imported": lead_import.imported,
        "duplicates": lead_import.duplicates,
        "invalid": lead_import.invalid,
        "dnc": lead_import.dnc,
        "errors": list(all_errors(lead_import)),
    }

