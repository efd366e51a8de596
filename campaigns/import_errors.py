"""The rejected rows of a lead import, one ImportRowError each: written in bulk with their chunk, read in line order.

A row error is written in the same transaction as its chunk's leads and checkpoint, so a crashed chunk leaves none
behind and a resumed import writes each exactly once. Writing costs the same whatever came before (the errors used to
live in one JSON list on LeadImport that every chunk rewrote: quadratic in the number of errors)."""
from __future__ import annotations

from collections.abc import Iterator

from django.db import connection
from django.db.models import Q

from .models import ImportRowError, LeadImport

# The fields of one error, in the order the error CSV and `import_leads --json` give them.
ERROR_COLUMNS = ("line", "column", "value", "reason")
READ_BATCH = 2000  # errors fetched per query when every one is read (CSV download, the command's report)


def write_errors(lead_import_id: int, errors: list[dict]) -> None:
    """Store a chunk's row errors (dicts with ERROR_COLUMNS keys, in line order): COPY on PostgreSQL, one
    bulk INSERT elsewhere. Runs inside the chunk's transaction."""
    if not errors:
        return
    if connection.vendor == "postgresql":
        table = ImportRowError._meta.db_table
        with connection.cursor() as cursor, cursor.cursor.copy(
            f'COPY {table} (lead_import_id, line, "column", value, reason) FROM STDIN'
        ) as copy:
            for e in errors:
                copy.write_row((lead_import_id, e["line"], e["column"], e["value"], e["reason"]))
        return
    ImportRowError.objects.bulk_create(
        [ImportRowError(lead_import_id=lead_import_id, **{c: e[c] for c in ERROR_COLUMNS}) for e in errors],
        batch_size=500,
    )


def in_line_order(lead_import: LeadImport):
    """The import's errors in line order as dicts with ERROR_COLUMNS keys (a lazy queryset: slice or paginate it)."""
    return lead_import.row_errors.order_by("line", "id").values(*ERROR_COLUMNS)


def all_errors(lead_import: LeadImport | int) -> Iterator[dict]:
    """Every error of the import in line order, as dicts with ERROR_COLUMNS keys, fetched READ_BATCH at a time
    (keyset pagination: a 1M-error report is never held whole)."""
    import_id = lead_import if isinstance(lead_import, int) else lead_import.pk
    rows = ImportRowError.objects.filter(lead_import_id=import_id).order_by("line", "id")
    after = None
    while True:
        batch = rows
        if after is not None:
            line, pk = after
            batch = rows.filter(Q(line__gt=line) | Q(line=line, id__gt=pk))
        found = list(batch.values_list("id", *ERROR_COLUMNS)[:READ_BATCH])
        for _pk, *values in found:
            yield dict(zip(ERROR_COLUMNS, values, strict=True))
        if len(found) < READ_BATCH:
            return
        after = (found[-1][1], found[-1][0])


def error_rows(lead_import: LeadImport) -> Iterator[tuple]:
    """Every error as a (line, column, value, reason) tuple, for the CSV download."""
    for e in all_errors(lead_import):
        yield tuple(e[c] for c in ERROR_COLUMNS)
