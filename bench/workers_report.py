"""The tables ``python -m bench.workers`` prints (and ``--render results.json`` prints again)."""

from __future__ import annotations

from collections import Counter


def _rate(value: float, polls: int) -> float:
    return value / max(polls, 1)


def figures(r: dict) -> dict:
    """The per-poll figures of one run."""
    polls, pg, wal = r["polls"], r["pg"], r["wal"]
    db = Counter(pg["database"])
    ours = sum(c["bytes"] for c in wal["relations"].values())
    fpi = sum(c["fpi"] for c in wal["relations"].values())
    workers_cpu = sum(w["cpu_s"] for w in r["per_worker"])
    return {
        "polls_per_s": polls / pg["seconds"],
        "cpu_ms": 1000 * _rate(workers_cpu, polls),
        "cores": workers_cpu / pg["seconds"],
        "per_worker": [
            (1000 * _rate(w["cpu_s"], w["polls"]), w["polls"] / max(polls, 1))
            for w in r["per_worker"]
        ],
        "pg_cpu_ms": 1000 * _rate(sum(pg["backend_cpu"].values()), polls),
        "statements": _rate(sum(w["statements"] for w in r["per_worker"]), polls),
        "queue": _rate(sum(w.get("queue", 0) for w in r["per_worker"]), polls),
        "xacts": _rate(db["xact_commit"] + db["xact_rollback"], polls),
        "rows": _rate(db["tup_inserted"] + db["tup_updated"] + db["tup_deleted"], polls),
        "wal_position": _rate(pg["wal_position_bytes"], polls),
        "wal_ours": _rate(ours, polls),
        "wal_no_fpi": _rate(ours - fpi, polls),
        "checkpoints": pg["checkpoints"],
        "changed": r["statuses"].get("ok", 0) / max(polls, 1),
    }


def _baselines(results: list[dict]) -> dict[int, dict]:
    """Per round, the figures of its first 1-worker run (or of its first run)."""
    out: dict[int, dict] = {}
    for r in results:
        if r["round"] not in out or (r["workers"] == 1 and out[r["round"]]["workers"] != 1):
            out[r["round"]] = {"workers": r["workers"], **figures(r)}
    return out


def render(results: list[dict]) -> str:
    base = _baselines(results)
    lines = [
        "| workers | round | polls/s | CPU ms/poll, all workers | each worker: CPU ms/poll "
        "(share of polls) | worker CPU (cores) | PG backends CPU ms/poll | × 1 worker: polls/s, "
        "CPU/poll |",
        "|---|---|---:|---:|---|---:|---:|---|",
    ]
    for r in results:
        f, b = figures(r), base[r["round"]]
        each = ", ".join(f"{ms:.1f} ({share:.0%})" for ms, share in f["per_worker"])
        lines.append(
            f"| {r['workers']} | {r['round']} | {f['polls_per_s']:.1f} | {f['cpu_ms']:.1f} "
            f"| {each} | {f['cores']:.2f} | {f['pg_cpu_ms']:.1f} "
            f"| {f['polls_per_s'] / b['polls_per_s']:.2f}×, {f['cpu_ms'] / b['cpu_ms']:.2f}× |"
        )
    lines += [
        "",
        "| workers | round | changed polls | statements/poll (wire; the queue's) | transactions/poll "
        "| rows written/poll | WAL position KB/poll (cluster) | WAL KB/poll (this database) "
        "| of which not full-page images | checkpoints in window | × 1 worker: statements, "
        "WAL w/o FPI |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        f, b = figures(r), base[r["round"]]
        lines.append(
            f"| {r['workers']} | {r['round']} | {f['changed']:.0%} "
            f"| {f['statements']:.1f} ({f['queue']:.1f}) "
            f"| {f['xacts']:.1f} | {f['rows']:.1f} | {f['wal_position'] / 1e3:.1f} "
            f"| {f['wal_ours'] / 1e3:.1f} | {f['wal_no_fpi'] / 1e3:.1f} | {f['checkpoints']} "
            f"| {f['statements'] / b['statements']:.2f}×, "
            f"{f['wal_no_fpi'] / max(b['wal_no_fpi'], 1):.2f}× |"
        )
    lines += ["", _wal_table(results), "", _rows_table(results)]
    return "\n".join(lines)


def _wal_table(results: list[dict]) -> str:
    """WAL per poll by relation: KB (KB without full-page images), every run a column."""
    totals: Counter = Counter()
    for r in results:
        for rel, c in r["wal"]["relations"].items():
            totals[rel] += c["bytes"]
    heads = [f"{r['workers']}w r{r['round']}" for r in results]
    lines = [
        "WAL per poll by relation, KB (without full-page images):",
        "",
        f"| relation | {' | '.join(heads)} |",
        f"|---|{'---:|' * len(heads)}",
    ]
    for rel, _ in totals.most_common(12):
        cells = []
        for r in results:
            c = r["wal"]["relations"].get(rel, {"bytes": 0, "fpi": 0})
            cells.append(
                f"{_rate(c['bytes'], r['polls']) / 1e3:.1f} "
                f"({_rate(c['bytes'] - c['fpi'], r['polls']) / 1e3:.1f})"
            )
        lines.append(f"| {rel} | {' | '.join(cells)} |")
    return "\n".join(lines)


def _rows_table(results: list[dict]) -> str:
    """Rows per poll by table: inserted / updated (of which HOT) / deleted, and growth."""
    tables = sorted({t for r in results for t in r["pg"]["tables"]})
    heads = [f"{r['workers']}w r{r['round']}" for r in results]
    lines = [
        "Rows per poll by table: inserted / updated (HOT) / deleted; growth bytes/poll:",
        "",
        f"| table | {' | '.join(heads)} |",
        f"|---|{'---|' * len(heads)}",
    ]
    for table in tables:
        cells = []
        for r in results:
            t = Counter(r["pg"]["tables"].get(table, {}))
            n = r["polls"]
            growth = r["pg"]["growth"].get(table, 0)
            cells.append(
                f"{_rate(t['n_tup_ins'], n):.2f} / {_rate(t['n_tup_upd'], n):.2f} "
                f"({_rate(t['n_tup_hot_upd'], n):.2f}) / {_rate(t['n_tup_del'], n):.2f}; "
                f"{_rate(growth, n):.0f} B"
            )
        lines.append(f"| {table} | {' | '.join(cells)} |")
    return "\n".join(lines)
