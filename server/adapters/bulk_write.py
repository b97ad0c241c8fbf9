"""executemany for ingest's bulk statements, without SQLAlchemy's per-row parameter work.

A batch of 500 events writes ~2,000 rows. Through `Session.execute(statement, rows)`,
SQLAlchemy builds and type-processes a parameter set per row through the compiled statement:
a fifth of the ingest worker's time. Here each statement is compiled once per dialect and set
of keys; each value goes through its column type's own bind processor (the same conversion
SQLAlchemy applies, e.g. UtcDateTime to UTC and SQLite's datetime text), and the rows go to
the driver's executemany as they are, on the session's connection and transaction.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import ClauseElement
from sqlalchemy.types import DateTime, TypeDecorator, TypeEngine

Row = dict[str, Any]
Processor = Callable[[Any], Any] | None


@dataclass(frozen=True, slots=True)
class _Plan:
    sql: str
    order: tuple[str, ...]  # the bind names in the order the driver takes them
    pairs: tuple[tuple[str, Processor], ...]  # each bind name with its value's conversion
    positional: bool


_plans: dict[tuple[str, str, tuple[str, ...]], _Plan] = {}


def executemany(
    session: Session, name: str, build: Callable[[Dialect], ClauseElement], rows: Sequence[Row]
) -> None:
    """Run the statement `build` makes (cached as `name`) once per row of `rows`.

    Every row must have the same keys: the statement is compiled for the first row's keys.
    """
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    keys = tuple(rows[0])
    plan = _plans.get((name, dialect.name, keys))
    if plan is None:
        plan = _plans[(name, dialect.name, keys)] = _plan(build(dialect), dialect, keys)
    converted: list[Any] = []
    for row in rows:
        values = [row[key] if process is None else process(row[key]) for key, process in plan.pairs]
        converted.append(
            tuple(values) if plan.positional else dict(zip(plan.order, values, strict=True))
        )
    connection.exec_driver_sql(plan.sql, converted)


def _plan(statement: ClauseElement, dialect: Dialect, keys: tuple[str, ...]) -> _Plan:
    compiled: Any = statement.compile(dialect=dialect, column_keys=list(keys))
    order = tuple(compiled.positiontup) if compiled.positional else tuple(compiled.binds)
    pairs = tuple((bind, _processor(compiled.binds[bind].type, dialect)) for bind in order)
    missing = set(order) - set(keys)
    if missing:
        raise ValueError(f"rows lack the statement's parameters {sorted(missing)}")
    return _Plan(compiled.string, order, pairs, bool(compiled.positional))


def _processor(type_: TypeEngine[Any], dialect: Dialect) -> Processor:
    process: Processor = type_.dialect_impl(dialect).bind_processor(dialect)
    base = type_.impl_instance if isinstance(type_, TypeDecorator) else type_
    if process is None or not isinstance(base, DateTime):
        return process
    return _remembering(process)


def _remembering(process: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """`process` for datetimes, remembering recent results: an event's time is written to
    the log, the desk and the desk's history, and a batch shares one receive time."""
    seen: dict[Any, Any] = {}

    def remembered(value: Any) -> Any:
        try:
            return seen[value]
        except KeyError:
            if len(seen) >= REMEMBERED:
                seen.clear()
            result = seen[value] = process(value)
            return result

    return remembered


REMEMBERED = 4096
