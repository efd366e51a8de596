"""Database constraints that only PostgreSQL can enforce, declared once and skipped on other databases."""
from __future__ import annotations

from typing import Any

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Func


class TsTzRange(Func):
    """`tstzrange(start, end)`: half-open `[start, end)`, so back-to-back meetings do not overlap.

    Source: https://docs.djangoproject.com/en/5.2/ref/contrib/postgres/constraints/#exclusionconstraint
    """

    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


class PostgresExclusionConstraint(ExclusionConstraint):
    """An `EXCLUDE USING gist` constraint on PostgreSQL; nothing on SQLite, where the code's locked check stands in."""

    def constraint_sql(self, model: Any, schema_editor: Any) -> Any:
        return super().constraint_sql(model, schema_editor) if _postgres(schema_editor.connection) else None

    def create_sql(self, model: Any, schema_editor: Any) -> Any:
        return super().create_sql(model, schema_editor) if _postgres(schema_editor.connection) else None

    def remove_sql(self, model: Any, schema_editor: Any) -> Any:
        return super().remove_sql(model, schema_editor) if _postgres(schema_editor.connection) else None

    def validate(self, model: Any, instance: Any, exclude: Any = None, using: str = DEFAULT_DB_ALIAS) -> None:
        if _postgres(connections[using]):
            super().validate(model, instance, exclude=exclude, using=using)


def _postgres(connection: Any) -> bool:
    return connection.vendor == "postgresql"
