"""Reads of the write hot paths, compiled to SQL once per process.

Compiling a queryset to SQL costs about 0.7 ms of CPU here, ten times what the database
takes to answer a lookup by a unique key, and the sign and confirm POSTs each made one
such lookup (the letter by its slug, the signature by its token). ``PreparedLookup``
compiles a queryset once, with a marker where its one changing value goes, then runs
that SQL with each new value and builds the instances as the ORM does (``from_db``,
the database converters of each column, the related row of a ``select_related``).

The queryset is still written with the ORM, in the selector that owns it; only its
compilation is kept. For querysets of whole rows: no annotations, no deferred fields,
``select_related`` of foreign keys one level deep. The first call checks it.
"""

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connection, connections
from django.db.models import Field, Model, QuerySet

# What the queryset is built with at compile time, found again among its parameters.
_MARK = "prepared-lookup-value-4f1c9a"


@dataclass(frozen=True)
class _Part:
    model: type[Model]
    columns: list[int]  # positions in the row
    attnames: list[str]
    pk_at: int  # position of the primary key in ``columns``
    setters: tuple[Callable[..., None], Callable[..., None]] | None  # to link to the main


@dataclass(frozen=True)
class _Compiled:
    using: str
    sql: str
    params: list[Any]
    value_at: int
    converters: dict[int, tuple[list[Callable[..., Any]], Any]]
    parts: list[_Part]


class PreparedLookup[M: Model]:
    """``build(value)[:1]``, compiled on first use; ``first(value)`` runs it."""

    def __init__(self, build: Callable[[str], QuerySet[M]]) -> None:
        self._build = build
        self._compiled: _Compiled | None = None
        self._lock = threading.Lock()

    def first(self, value: str) -> M | None:
        compiled = self._compiled or self._compile()
        params = list(compiled.params)
        params[compiled.value_at] = value
        connection = connections[compiled.using]
        with connection.cursor() as cursor:
            cursor.execute(compiled.sql, params)
            row = cursor.fetchone()
        if row is None:
            return None
        row = list(row)
        for position, (functions, expression) in compiled.converters.items():
            for convert in functions:
                row[position] = convert(row[position], expression, connection)
        return self._instances(compiled, row)

    @staticmethod
    def _instances(compiled: _Compiled, row: list[Any]) -> Any:
        main, *related = compiled.parts
        obj = main.model.from_db(compiled.using, main.attnames, [row[i] for i in main.columns])
        for part in related:
            values = [row[i] for i in part.columns]
            other = None  # an empty nullable foreign key: no related row
            if values[part.pk_at] is not None:
                other = part.model.from_db(compiled.using, part.attnames, values)
            assert part.setters is not None
            local_setter, remote_setter = part.setters
            local_setter(obj, other)
            remote_setter(other, obj)
        return obj

    def _compile(self) -> _Compiled:
        with self._lock:
            if self._compiled is None:
                self._compiled = _compile(self._build(_MARK)[:1])
            return self._compiled


def _compile(queryset: QuerySet[Any]) -> _Compiled:
    query = queryset.query
    if query.annotations or query.deferred_loading[0] or not query.default_cols:
        raise ValueError("PreparedLookup takes querysets of whole rows only")
    compiler = query.get_compiler(using=queryset.db)
    sql, params = compiler.as_sql()
    found = [n for n, param in enumerate(params) if param == _MARK]
    if len(found) != 1:
        raise ValueError("the value must appear once among the query's parameters")
    info = compiler.klass_info
    assert info is not None
    parts = [_part(compiler, info, setters=None)]
    for related in info.get("related_klass_infos", []):
        if related.get("related_klass_infos") or related["reverse"]:
            raise ValueError("PreparedLookup follows foreign keys one level deep only")
        setters = (related["local_setter"], related["remote_setter"])
        parts.append(_part(compiler, related, setters=setters))
    expressions = [column for column, _sql, _alias in compiler.select]
    return _Compiled(
        using=queryset.db, sql=sql, params=list(params), value_at=found[0],
        converters=compiler.get_converters(expressions), parts=parts,
    )  # fmt: skip


def _part(compiler: Any, info: dict[str, Any], *, setters: Any) -> _Part:
    columns = list(info["select_fields"])
    attnames = [compiler.select[n][0].target.attname for n in columns]
    pk_at = attnames.index(info["model"]._meta.pk.attname)
    return _Part(
        model=info["model"], columns=columns, attnames=attnames, pk_at=pk_at, setters=setters
    )


def column_sql(model: type[Model], name: str) -> str:
    """The quoted column of ``model.name``, for the few statements written in SQL."""
    field = model._meta.get_field(name)
    assert isinstance(field, Field) and field.column
    return connection.ops.quote_name(field.column)


def table_sql(model: type[Model]) -> str:
    """The quoted table of ``model``."""
    return connection.ops.quote_name(model._meta.db_table)
