"""Set-based writing of imported rows: leads upserted by phone, hopper entries added, duplicates and DNC found in SQL.

Rows go into a temporary table (COPY on PostgreSQL, executemany on SQLite), then INSERT … SELECT … ON CONFLICT DO
NOTHING does the work: leads first (one statement on both), then hopper entries (PostgreSQL: one statement that
also reports the rows not added; SQLite: a join and a read-back). Must run inside a transaction."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Model

from crm.models import DoNotCall, Lead

from .models import CampaignLead

TEMP = "parley_import_rows"
# Columns of the temporary table, in the order import rows carry them.
ROW_COLUMNS = (
    "line", "phone", "first_name", "last_name", "company", "email", "timezone", "consent_source", "attributes",
    "do_not_call",
)
LEAD_COLUMNS = ROW_COLUMNS[1:-1]


@dataclass
class ChunkResult:
    imported: int = 0
    dnc: int = 0
    duplicate_lines: list[int] = field(default_factory=list)  # rows whose number was already in the campaign


def add_to_hopper(campaign_id: int, import_id: int, rows: list[tuple], now: dt.datetime) -> ChunkResult:
    """Create missing leads and attach every row's lead to the campaign once; numbers on the DNC list are parked.

    `rows` are tuples in ROW_COLUMNS order with phones unique within the list, attributes as JSON text and
    do_not_call a bool (the file marked the row: it is parked like a number on the DNC list)."""
    result = ChunkResult()
    if not rows:
        return result
    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if postgres:
            # Safe to lose on a server crash: the checkpoint commits in this same transaction, so a lost commit
            # is simply a chunk the resumed import does again. Saves a WAL flush wait per chunk.
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
        cursor.execute(f"DROP TABLE IF EXISTS {TEMP}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {TEMP} (line integer, phone varchar(128), first_name text, last_name text, "
            "company text, email text, timezone text, consent_source text, attributes text, do_not_call boolean)"
        )
        if postgres:
            with cursor.cursor.copy(f"COPY {TEMP} ({', '.join(ROW_COLUMNS)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(ROW_COLUMNS))
            cursor.executemany(f"INSERT INTO {TEMP} VALUES ({marks})", rows)

        attributes = "CAST(t.attributes AS jsonb)" if postgres else "t.attributes"
        # Leads in phone order, so that concurrent imports of overlapping lists lock numbers in the same order
        # and cannot deadlock; hopper rows in file order, which is the order the dialer takes them.
        given = {c: (f"t.{c}", []) for c in LEAD_COLUMNS}
        given["attributes"] = (attributes, [])
        cursor.execute(
            *_insert_select(
                Lead, given, now, f"FROM {TEMP} t WHERE true ORDER BY t.phone ON CONFLICT (phone) DO NOTHING"
            )
        )

        if postgres:
            _entries_postgres(cursor, campaign_id, import_id, now, result)
        else:
            _entries_sqlite(cursor, campaign_id, import_id, now, result)
        cursor.execute(f"DROP TABLE {TEMP}")
    result.imported = len(rows) - len(result.duplicate_lines)
    return result


def _entries_postgres(cursor, campaign_id: int, import_id: int, now: dt.datetime, result: ChunkResult) -> None:
    """Hopper entries in one statement whose cost grows with the chunk, not with the tables: each row's lead and
    its DNC listing are found through the unique phone indexes (a join on the phone let the planner hash the
    whole lead table once per chunk: quadratic over a 1M-row file); RETURNING tells which rows were added, so
    the rows not added (already in the campaign) and the rows parked as do-not-call come back in the same trip."""
    lead_table, dnc_table = Lead._meta.db_table, DoNotCall._meta.db_table
    given = {
        "campaign_id": ("%s", [campaign_id]),
        "lead_id": ("s.lead_id", []),
        "lead_import_id": ("%s", [import_id]),
        "state": (
            "CASE WHEN s.do_not_call OR s.listed THEN %s ELSE %s END",
            [CampaignLead.State.DO_NOT_CALL, CampaignLead.State.PENDING],
        ),
    }
    insert, params = _insert_select(
        CampaignLead, given, now,
        "FROM src s ORDER BY s.line ON CONFLICT (campaign_id, lead_id) DO NOTHING RETURNING lead_id, state",
    )
    cursor.execute(
        f"WITH src AS MATERIALIZED (SELECT t.line, t.do_not_call, "
        f"(SELECT l.id FROM {lead_table} l WHERE l.phone = t.phone) AS lead_id, "
        f"EXISTS (SELECT 1 FROM {dnc_table} d WHERE d.phone = t.phone) AS listed FROM {TEMP} t), "
        f"added AS ({insert}) "
        "SELECT s.line, a.state FROM src s LEFT JOIN added a ON a.lead_id = s.lead_id "
        "WHERE a.lead_id IS NULL OR a.state = %s",
        [*params, CampaignLead.State.DO_NOT_CALL],
    )
    for line, state in cursor.fetchall():
        if state is None:
            result.duplicate_lines.append(line)
        else:
            result.dnc += 1


def _entries_sqlite(cursor, campaign_id: int, import_id: int, now: dt.datetime, result: ChunkResult) -> None:
    """Hopper entries by joins on the phone (SQLite: no data-modifying WITH), then the rows not added read back."""
    dnc = (
        f"CASE WHEN t.do_not_call OR EXISTS (SELECT 1 FROM {DoNotCall._meta.db_table} d WHERE d.phone = t.phone) "
        "THEN %s ELSE %s END"
    )
    entry_given = {
        "campaign_id": ("%s", [campaign_id]),
        "lead_id": ("l.id", []),
        "lead_import_id": ("%s", [import_id]),
        "state": (dnc, [CampaignLead.State.DO_NOT_CALL, CampaignLead.State.PENDING]),
    }
    cursor.execute(
        *_insert_select(
            CampaignLead,
            entry_given,
            now,
            f"FROM {TEMP} t JOIN {Lead._meta.db_table} l ON l.phone = t.phone WHERE true ORDER BY t.line "
            "ON CONFLICT (campaign_id, lead_id) DO NOTHING",
        )
    )
    # Rows this import did not add (already in the campaign) and rows it parked as do-not-call.
    cursor.execute(
        f"SELECT t.line, e.lead_import_id, e.state FROM {TEMP} t "
        f"JOIN {Lead._meta.db_table} l ON l.phone = t.phone "
        f"JOIN {CampaignLead._meta.db_table} e ON e.lead_id = l.id AND e.campaign_id = %s "
        "WHERE e.lead_import_id IS NULL OR e.lead_import_id <> %s OR e.state = %s",
        [campaign_id, import_id, CampaignLead.State.DO_NOT_CALL],
    )
    for line, entry_import, state in cursor.fetchall():
        if entry_import != import_id:
            result.duplicate_lines.append(line)
        elif state == CampaignLead.State.DO_NOT_CALL:
            result.dnc += 1


def _insert_select(model: type[Model], given: dict[str, tuple[str, list]], now: dt.datetime, tail: str):
    """INSERT INTO model (every concrete column) SELECT …: columns not `given` get the field's default,
    so a field added to the model later (with a default) does not break the import."""
    columns, exprs, params = [], [], []
    for f in model._meta.concrete_fields:
        if f.primary_key:
            continue
        columns.append(connection.ops.quote_name(f.column))
        if f.column in given:
            expr, expr_params = given[f.column]
            exprs.append(expr)
            params.extend(expr_params)
            continue
        value = now if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False) else f.get_default()
        exprs.append("%s")
        params.append(f.get_db_prep_save(value, connection))
    sql = f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) SELECT {', '.join(exprs)} {tail}"
    return sql, params
