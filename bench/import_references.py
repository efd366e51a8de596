"""The references a lead import is measured against in bench.csv_import, each in the same run: a raw COPY of the
file into a plain text table, the schema's floor (the import's checked rows COPY'd into the lead and hopper tables,
or into plain copies of them), and the database server's CPU spent on each (PostgreSQL on this machine)."""
from __future__ import annotations

import csv
import io
import os
import time


def server_cpu_seconds() -> float | None:
    """CPU seconds the database server process serving this connection has used so far (PostgreSQL on this
    machine: read from /proc), or None where that cannot be seen (SQLite, a remote server)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime, proc(5)


def server_cpu_spent(before: float | None) -> float | None:
    """Server CPU seconds used since `before` (a server_cpu_seconds() reading); None where either is unknown."""
    after = server_cpu_seconds()
    return None if before is None or after is None else after - before


def raw_copy(path: str) -> float:
    """Seconds to load the file as it is into a plain unindexed table: COPY on PostgreSQL, executemany on SQLite."""
    from django.db import connection, transaction

    columns = "first_name text, last_name text, company text, email text, phone text, lead_source text, notes text"
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE bench_raw_rows ({columns})")
        with open(path, "rb") as f:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy("COPY bench_raw_rows FROM STDIN WITH (FORMAT csv, HEADER true)") as copy:
                    while block := f.read(1 << 20):
                        copy.write(block)
            else:
                reader = csv.reader(io.TextIOWrapper(f, encoding="utf-8", newline=""))
                next(reader)
                cursor.executemany("INSERT INTO bench_raw_rows VALUES (%s, %s, %s, %s, %s, %s, %s)", reader)
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_raw_rows")
    return seconds


def _copy_columns(model, given: dict[str, object], now) -> tuple[list[str], list[object]]:
    """Every concrete column but the key, and its value for a COPY row: `given`, else the field's default."""
    from django.db import connection

    columns, values = [], []
    for f in model._meta.concrete_fields:
        if f.primary_key:
            continue
        columns.append(f.column)
        if f.column in given:
            values.append(given[f.column])
        elif getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            values.append(now)
        else:
            values.append(f.get_db_prep_save(f.get_default(), connection))
    return columns, values


def in_child(fn, *args):
    """fn(*args) in a forked child process, its result sent back: the child's memory never counts in this
    process's peak RSS (the import's figure). The child opens its own database connection and closes it."""
    import multiprocessing

    from django.db import connection

    connection.close()  # a forked child must not share the parent's socket
    receive, send = multiprocessing.Pipe(duplex=False)

    def run() -> None:
        try:
            send.send(fn(*args))
        finally:
            connection.close()

    child = multiprocessing.get_context("fork").Process(target=run)
    child.start()
    result = receive.recv()
    child.join()
    return result


def floor_copy(campaign, path: str, chunk_rows: int, bare: bool = False) -> tuple[float, float | None]:
    """(wall seconds, database server CPU seconds or None) to COPY the file's valid unique rows, prepared
    beforehand and untimed, straight into the lead and hopper tables with the product's indexes and foreign keys,
    chunk by chunk, then roll back. `bare`: into plain copies of the two tables instead (same columns and types,
    no index, no key, no foreign key). PostgreSQL only; (nan, None) elsewhere.

    Lead ids come from the lead table's sequence (one statement per chunk), so the hopper rows need no lookup;
    no dedupe against the tables, no DNC lookup, no row errors: only what storing the rows costs."""
    from django.db import connection, transaction
    from django.utils import timezone

    from campaigns import imports
    from campaigns.bulk_hopper import ROW_COLUMNS
    from campaigns.models import CampaignLead, LeadImport
    from crm.models import Lead

    if connection.vendor != "postgresql":
        return float("nan"), None
    now = timezone.now()
    table = imports.read_lead_table(lambda: open(path, "rb"), campaign.default_region)
    mapping = imports.detect_mapping(table.headers, table.sample, campaign.default_region)
    reader = imports.RowReader(table.headers, mapping, campaign.default_region)
    seen: set[int] = set()
    wall = server = 0.0
    lead_table, entry_table = Lead._meta.db_table, CampaignLead._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        if bare:
            for name in (lead_table, entry_table):
                cursor.execute(f"CREATE TABLE bench_bare_{name} (LIKE {name} INCLUDING DEFAULTS INCLUDING IDENTITY)")
            lead_table, entry_table = f"bench_bare_{lead_table}", f"bench_bare_{entry_table}"
        lead_import = LeadImport.objects.create(campaign=campaign, original_name="floor.csv", mapping=mapping)
        lead_columns, lead_defaults = _copy_columns(Lead, {}, now)
        at = [lead_columns.index(c) for c in ROW_COLUMNS[1:-1]]
        entry_columns, entry_values = _copy_columns(
            CampaignLead, {"campaign_id": campaign.pk, "lead_import_id": lead_import.pk}, now
        )
        lead_at = entry_columns.index("lead_id")
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [Lead._meta.db_table])
        sequence = cursor.fetchone()[0]
        for chunk in imports._chunks(table.rows(), chunk_rows):
            rows = []
            for line, cells in chunk:
                try:
                    row = reader.read(line, cells)
                except imports.RowError:
                    continue
                if (number := int(row[1][1:])) not in seen:
                    seen.add(number)
                    rows.append(row)
            server_before, started = server_cpu_seconds(), time.perf_counter()
            cursor.execute("SELECT nextval(%s) FROM generate_series(1, %s)", [sequence, len(rows)])
            ids = [i for (i,) in cursor.fetchall()]
            with cursor.cursor.copy(f"COPY {lead_table} (id, {', '.join(lead_columns)}) FROM STDIN") as copy:
                values = list(lead_defaults)
                for lead_id, row in zip(ids, rows, strict=True):
                    for i, v in zip(at, row[1:-1], strict=True):
                        values[i] = v
                    copy.write_row((lead_id, *values))
            with cursor.cursor.copy(f"COPY {entry_table} ({', '.join(entry_columns)}) FROM STDIN") as copy:
                for lead_id in ids:
                    entry_values[lead_at] = lead_id
                    copy.write_row(entry_values)
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the foreign keys are checked now, as at a commit
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            wall += time.perf_counter() - started
            server += server_cpu_spent(server_before) or 0.0
        transaction.set_rollback(True)
    return wall, server
