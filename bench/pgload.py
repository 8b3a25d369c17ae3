"""PostgreSQL's side of a measured window: transactions, rows, backend CPU, WAL and its sources.

The WAL position is cluster-wide: on a shared server it also moves with every other
database's writes, and a checkpoint anywhere (other tests' ``DROP DATABASE`` force one) makes
the next change of every page write the whole 8 KB page (a full-page image, FPI). So the WAL is
read back record by record (``pg_walinspect``) and split by database, by relation (TOAST and
indexes under their table) and into full-page images and the rest. A temporary physical
replication slot, held by the watching connection, keeps the window's WAL segments on disk
until they are read; it ends with the connection.

Backend CPU: ``/proc/<pid>/stat`` of the backends connected to the database (the server runs
on this machine); a backend that exits inside the window loses its share.
"""

from __future__ import annotations

import os
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import psycopg

CLOCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process (all its threads), or 0 if it is gone or not readable."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK  # utime, stime


@dataclass
class Snapshot:
    at: float
    lsn: int
    database: Counter  # pg_stat_database counters
    checkpoints: int
    backends: dict[int, tuple[str, float]]  # pid -> (application_name, CPU seconds)
    tables: dict[str, Counter] = field(default_factory=dict)  # pg_stat_user_tables
    sizes: dict[str, int] = field(default_factory=dict)  # table -> bytes with TOAST, indexes


_DATABASE = (
    "xact_commit",
    "xact_rollback",
    "tup_inserted",
    "tup_updated",
    "tup_deleted",
    "tup_returned",
    "tup_fetched",
)
_TABLE = ("n_tup_ins", "n_tup_upd", "n_tup_hot_upd", "n_tup_del", "idx_scan", "seq_scan")


class PgWatch:
    """One superuser connection to the benchmark's database, open for one measured window."""

    def __init__(self, url: str) -> None:
        self.conn = psycopg.connect(url, autocommit=True)
        self.conn.execute("CREATE EXTENSION IF NOT EXISTS pg_walinspect")
        self.name = self.conn.execute("SELECT current_database()").fetchone()[0]
        self.oid = self.conn.execute(
            "SELECT oid FROM pg_database WHERE datname = current_database()"
        ).fetchone()[0]
        # Keeps the window's WAL until it is read (ends with this connection).
        self.conn.execute(
            "SELECT pg_create_physical_replication_slot(%s, true, true)",
            (f"tw_bench_{uuid.uuid4().hex[:8]}",),
        )

    def snapshot(self) -> Snapshot:
        q = self.conn.execute
        row = q(
            f"SELECT {', '.join(_DATABASE)} FROM pg_stat_database WHERE datname = %s", (self.name,)
        ).fetchone()
        backends = {
            pid: (app, cpu_seconds(pid))
            for pid, app in q(
                "SELECT pid, application_name FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (self.name,),
            )
        }
        tables = {
            r[0]: Counter(dict(zip(_TABLE, (v or 0 for v in r[1:]), strict=True)))
            for r in q(f"SELECT relname, {', '.join(_TABLE)} FROM pg_stat_user_tables")
        }
        sizes = dict(
            q("SELECT relname, pg_total_relation_size(relid) FROM pg_stat_user_tables").fetchall()
        )
        return Snapshot(
            at=time.time(),
            lsn=int(q("SELECT pg_current_wal_flush_lsn() - '0/0'::pg_lsn").fetchone()[0]),
            database=Counter(dict(zip(_DATABASE, row, strict=True))),
            checkpoints=sum(
                q("SELECT checkpoints_timed, checkpoints_req FROM pg_stat_bgwriter").fetchone()
            ),
            backends=backends,
            tables=tables,
            sizes=sizes,
        )

    def wal(self, start: Snapshot, end: Snapshot) -> dict:
        """The window's WAL record by record: bytes and FPI bytes per (relation, record type)
        of this database, and the totals of everything else in the cluster."""
        rows = self.conn.execute(
            """
            WITH r AS (
              SELECT regexp_match(block_ref, 'rel \\d+/(\\d+)/(\\d+)') AS m,
                     resource_manager || '/' || split_part(record_type, ' ', 1) AS kind,
                     record_length, fpi_length
              FROM pg_get_wal_records_info('0/0'::pg_lsn + %s, '0/0'::pg_lsn + %s))
            SELECT m[1]::oid, m[2]::oid, kind, count(*), sum(record_length), sum(fpi_length)
            FROM r GROUP BY 1, 2, 3
            """,
            (start.lsn, end.lsn),
        ).fetchall()
        names = self._owners({r[1] for r in rows if r[0] == self.oid})
        ours: defaultdict[str, Counter] = defaultdict(Counter)
        kinds: defaultdict[str, Counter] = defaultdict(Counter)
        others = Counter()
        for db, node, kind, count, size, fpi in rows:
            if db == self.oid:
                where = names.get(node, "(catalog, dropped)")
                for tally in (ours[where], kinds[kind]):
                    tally.update(records=count, bytes=size, fpi=fpi)
            else:  # another database, or no block at all (commits: any database's)
                key = "no relation (commit records, any database)" if db is None else "other"
                others[key] += size
        return {"relations": dict(ours), "kinds": dict(kinds), "others": dict(others)}

    def _owners(self, nodes: set[int]) -> dict[int, str]:
        """relfilenode -> where its WAL is counted: the user table, its index or its TOAST."""
        out = {}
        for node in nodes:
            row = self.conn.execute(
                "SELECT oid, relname, relkind FROM pg_class WHERE oid = pg_filenode_relation(0, %s)",
                (node,),
            ).fetchone()
            if row is None:
                continue
            oid, name, kind = row
            index = None
            if kind == "i":
                index = name
                oid, name, kind = self.conn.execute(
                    "SELECT c.oid, c.relname, c.relkind FROM pg_index i "
                    "JOIN pg_class c ON c.oid = i.indrelid WHERE i.indexrelid = %s",
                    (oid,),
                ).fetchone()
            if kind == "t":
                owner = self.conn.execute(
                    "SELECT relname FROM pg_class WHERE reltoastrelid = %s", (oid,)
                ).fetchone()
                name = f"{owner[0] if owner else name} (TOAST)"
            out[node] = f"{name} (index {index})" if index and kind != "t" else name
        return out

    def close(self) -> None:
        self.conn.close()


def delta(start: Snapshot, end: Snapshot) -> dict:
    """What changed between two snapshots: counters, backend CPU by application, tables."""
    cpu: Counter = Counter()
    for pid, (app, seconds) in end.backends.items():
        before = start.backends.get(pid, (app, 0.0))[1]
        cpu[app or "(none)"] += seconds - before
    tables = {name: end.tables[name] - start.tables.get(name, Counter()) for name in end.tables}
    return {
        "seconds": end.at - start.at,
        "wal_position_bytes": end.lsn - start.lsn,
        "database": dict(end.database - start.database),
        "checkpoints": end.checkpoints - start.checkpoints,
        "backend_cpu": dict(cpu),
        "tables": {n: dict(c) for n, c in tables.items() if c},
        "growth": {n: end.sizes[n] - start.sizes.get(n, 0) for n in end.sizes},
    }
