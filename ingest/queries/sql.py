"""Small SQL builders shared by the read queries."""

from ingest.filters import DIMENSIONS, Filters


def dimension_condition(column: str, values: tuple, params: list) -> str:
    """`column` equals one of `values`; None in values selects NULL."""
    present = [value for value in values if value is not None]
    parts = []
    if present:
        parts.append(f"{column} = ANY(%s)")
        params.append(present)
    if len(present) < len(values):
        parts.append(f"{column} IS NULL")
    return "(" + " OR ".join(parts) + ")"


def filter_conditions(filters: Filters, names, params: list) -> list[str]:
    """Conditions for the filters among `names` (query parameter names)."""
    return [
        dimension_condition(DIMENSIONS[name], filters.of(name), params)
        for name in names
        if filters.of(name)
    ]


def fetch_all(sql: str, params: list) -> list[tuple]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
