"""What the one `SET search_path` per request costs, measured at the driver.

Strata sets the search_path before the first query of every request that queries at all (the
architecture forbids trusting what a reused connection had). This times that statement on its
own, over one psycopg connection, against the Strata variant's real tenant schema and table, so
the Routing section can say how much of the list view's gap it explains. It also times the
same two statements sent in one round trip (psycopg's pipeline mode), which is what closing
the gap would take.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import psycopg
from psycopg import sql

BATCH = 2000
BATCHES = 5


@dataclass(frozen=True)
class SearchPathCost:
    select_us: float  # the list view's query alone
    set_then_select_us: float  # what Strata sends: SET, wait, then the query
    pipelined_us: float  # SET and query in one round trip

    @property
    def set_us(self) -> float:
        return self.set_then_select_us - self.select_us

    @property
    def pipelined_set_us(self) -> float:
        return self.pipelined_us - self.select_us


def _time(step: Callable[[], None]) -> float:
    """Median microseconds per call over BATCHES batches, after one batch of warm-up."""
    for _ in range(BATCH):
        step()
    per_call = []
    for _ in range(BATCHES):
        started = time.perf_counter()
        for _ in range(BATCH):
            step()
        per_call.append((time.perf_counter() - started) / BATCH * 1e6)
    return statistics.median(per_call)


def measure(database_url: str, tenant_slug: str, table: str) -> SearchPathCost:
    # Django's psycopg 3 backend uses client-side binding cursors; so does this.
    with psycopg.connect(
        database_url, autocommit=True, cursor_factory=psycopg.ClientCursor
    ) as conn:
        row = conn.execute(
            "SELECT schema_name FROM tenants_tenant WHERE slug = %s", [tenant_slug]
        ).fetchone()
        if row is None:
            raise RuntimeError(f"no tenant {tenant_slug!r} in {database_url}")
        set_path = sql.SQL("SET search_path = {}, public").format(sql.Identifier(row[0]))
        query = sql.SQL("SELECT * FROM {} ORDER BY id").format(sql.Identifier(table))
        conn.execute(set_path)

        def select_only() -> None:
            with conn.cursor() as cursor:
                cursor.execute(query)
                cursor.fetchall()

        def set_then_select() -> None:
            with conn.cursor() as cursor:
                cursor.execute(set_path)
                cursor.execute(query)
                cursor.fetchall()

        def pipelined() -> None:
            with conn.pipeline():
                conn.execute(set_path)
                cursor = conn.cursor()
                cursor.execute(query)
            cursor.fetchall()

        return SearchPathCost(
            select_us=_time(select_only),
            set_then_select_us=_time(set_then_select),
            pipelined_us=_time(pipelined),
        )
