"""Turns the benchmark's results into the Markdown table printed by ``bench.run``."""

from __future__ import annotations


def _m(d: dict | None, key: str = "median") -> float | None:
    return d.get(key) if d and d.get("n") else None


def _f(x: float | None, unit: str = "", digits: int = 2) -> str:
    return "n/a" if x is None else f"{x:.{digits}f}{unit}"


def _goal(value: float | None, limit: float) -> str:
    if value is None:
        return "not measured"
    return (
        f"met ({value / limit:.2f}× of the limit)"
        if value <= limit
        else (f"**missed** by {value / limit:.1f}×")
    )


# (style read by a generic path, style of the same page read by a site adapter, goal text)
_GENERIC_VS_ADAPTER = (
    ("article", "reach", "generic heuristic, 1 new entry among 300 ≤ 1.5× site adapter"),
    (
        "jsonld+article",
        "jsonld+reach",
        "JSON-LD merged with generic blocks ≤ 1.5× site adapter + JSON-LD",
    ),
)


def _paths(kinds: dict) -> list[str]:
    """Per extraction path (bench/pages.py STYLE_PATHS): first poll, new entry, edited entry,
    and the new-entry poll as a multiple of the same poll through a site adapter."""
    from bench.pages import STYLE_PATHS

    rows = []
    base = {path: adapter for path, adapter, _ in _GENERIC_VS_ADAPTER}
    for style, path in STYLE_PATHS.items():
        new = _m(kinds.get(f"liveblog_new_entry[{style}]"))
        if new is None:
            continue
        first = _m(kinds.get(f"liveblog_first_poll[{style}]"))
        edit = _m(kinds.get(f"liveblog_edited_entry[{style}]"))
        p95 = _m(kinds.get(f"liveblog_new_entry[{style}]"), "p95")
        adapter = _m(kinds.get(f"liveblog_new_entry[{base.get(style, style)}]"))
        times = f"{new / adapter:.2f}×" if adapter else "n/a"
        rows.append(
            f"| {path} | `{style}` | {_f(first)} | {_f(new)} | {_f(p95)} | {_f(edit)} | {times} |"
        )
    if not rows:
        return []
    return [
        "",
        "### By extraction path (liveblogs of 300 entries; ms CPU, medians unless p95)",
        "",
        "| path | page markup | first poll | 1 new entry | p95 | 1 edited entry |"
        " new entry × site adapter |",
        "|---|---|---:|---:|---:|---:|---:|",
        *rows,
    ]


def render(r: dict) -> str:
    m = r["machine"]
    kinds = r.get("perpoll", {}).get("kinds", {})
    floor = r.get("perpoll", {}).get("floor", {})
    uw = r.get("urlwatch", {})
    cap, soak = r.get("capacity", {}), r.get("soak", {})
    lines = [
        f"## Results ({r['mode']} run, {m['date']})",
        "",
        f"Machine: {m['cores']} cores, {m['cpu']}, Python {m['python']}.",
        "",
        "### CPU per poll (process CPU time, one poll at a time, one long-lived PollEngine)",
        "",
        "| kind of poll | median ms | p95 ms | polls/s per core |",
        "|---|---:|---:|---:|",
    ]
    for name, v in kinds.items():
        if v.get("n"):
            lines.append(
                f"| {name} | {v['median']:.2f} | {v['p95']:.2f} | {1000 / v['median']:.0f} |"
            )
    lines += _paths(kinds)
    naive = r.get("naive", {}).get("cpu")
    lines += [
        "",
        "### Baselines on the same pages",
        "",
        "| baseline | median ms | p95 ms |",
        "|---|---:|---:|",
    ]
    for name, v in floor.items():
        if v.get("n"):
            lines.append(f"| {name} | {v['median']:.2f} | {v['p95']:.2f} |")
    if naive:
        lines.append(
            f"| naive: one `scrapy crawl` process per poll (new entry) | "
            f"{naive['median']:.0f} | {naive['p95']:.0f} |"
        )
    for name in ("unchanged_304", "unchanged_no304", "changed_new_entry"):
        if uw.get(name, {}).get("n"):
            v = uw[name]
            lines.append(
                f"| urlwatch {uw.get('version', '')} html2text: {name} | "
                f"{v['median']:.2f} | {v['p95']:.2f} |"
            )

    u304, uno = _m(kinds.get("unchanged_304")), _m(kinds.get("unchanged_no304"))
    new, feed = _m(kinds.get("liveblog_new_entry")), _m(kinds.get("feed_new_item"))
    lxml_floor = _m(floor.get("lxml_parse"))
    uw304, uwno, uwch = (
        _m(uw.get(k)) for k in ("unchanged_304", "unchanged_no304", "changed_new_entry")
    )
    ratio = lambda a, b: a / b if a is not None and b else None  # noqa: E731
    lines += [
        "",
        "### Goals (issue 6), as ratios measured in this run",
        "",
        "| goal | measured | verdict |",
        "|---|---|---|",
    ]
    rows = [
        ("unchanged poll (304) ≤ 0.1× changed liveblog poll", ratio(u304, new), 0.1, "×"),
        (
            "unchanged poll (no 304, body hash) ≤ 0.1× changed liveblog poll",
            ratio(uno, new),
            0.1,
            "×",
        ),
        ("unchanged poll (304) ≤ 0.5× urlwatch's (304)", ratio(u304, uw304), 0.5, "×"),
        ("unchanged poll (no 304) ≤ 0.5× urlwatch's (no 304)", ratio(uno, uwno), 0.5, "×"),
        ("liveblog, 1 new entry among 300 ≤ 3× bare lxml parse", ratio(new, lxml_floor), 3, "×"),
        ("liveblog, 1 new entry ≤ 0.5× urlwatch's changed poll", ratio(new, uwch), 0.5, "×"),
        ("changed feed poll (100 items) ≤ 5 ms CPU", feed, 5, " ms"),
    ]
    for path, adapter, text in _GENERIC_VS_ADAPTER:
        value = ratio(
            _m(kinds.get(f"liveblog_new_entry[{path}]")),
            _m(kinds.get(f"liveblog_new_entry[{adapter}]")),
        )
        rows.append((f"(issue 11) {text}", value, 1.5, "×"))
    if cap:
        rows += [
            (
                f"capacity: CPU ≤ 50 % of 2 cores ({cap['sources']} sources every "
                f"{cap['interval_s']:.0f} s = {cap['polls_per_s']} polls/s)",
                100 * cap["cpu_cores"] / 2,
                50,
                " %",
            ),
            ("capacity: steady RSS ≤ 300 MB", cap.get("rss_steady_mb"), 300, " MB"),
            ("capacity: peak RSS ≤ 300 MB", cap.get("rss_peak_mb"), 300, " MB"),
            (
                "detection latency p95 ≤ interval + 5 s",
                _m(cap.get("latency_ms"), "p95") and _m(cap.get("latency_ms"), "p95") / 1000,
                cap["interval_s"] + 5,
                " s",
            ),
        ]
    if soak:
        rows.append(
            (
                f"memory growth ≤ 1 MB per 1,000 polls (soak, {soak['polls']} polls)",
                max(soak["rss_growth_mb_per_1000_polls"], 0),
                1,
                " MB",
            )
        )
    if r.get("startup"):
        rows.append(
            ("daemon start-up (exec to scheduler running) ≤ 2 s", r["startup"]["ready_s"], 2, " s")
        )
    for text, value, limit, unit in rows:
        lines.append(
            f"| {text} | {_f(value, unit, 3 if unit == '×' else 2)} | {_goal(value, limit)} |"
        )

    lines += ["", "### Other ratios", ""]
    if naive and new:
        lines.append(
            f"- changed liveblog poll vs the naive process-per-poll design: "
            f"{new / naive['median']:.3f}× ({naive['median']:.0f} ms per process)"
        )
    if feed and _m(floor.get("feedparser_100_items")):
        lines.append(
            f"- changed feed poll vs a bare feedparser parse of it: "
            f"{feed / _m(floor['feedparser_100_items']):.2f}×"
        )
    if new and _m(floor.get("selectolax_parse")):
        lines.append(
            f"- changed liveblog poll vs a bare selectolax (lexbor) parse: "
            f"{new / _m(floor['selectolax_parse']):.1f}×"
        )
    if cap:
        lat = cap.get("latency_ms", {})
        lines += [
            "",
            "### Capacity run (the daemon: APScheduler + one PollEngine)",
            "",
            f"- {cap['sources']} sources every {cap['interval_s']:.0f} s; window "
            f"{cap['window_s']} s after a {cap['warmup_s']} s warm-up (baseline polls, "
            f"{cap['warmup_cpu_s']} s CPU)",
            f"- {cap['polls']} polls ({cap['polls_per_s']}/s), statuses {cap['statuses']}",
            f"- CPU {cap['cpu_s']} s = {cap['cpu_cores']:.2f} cores = "
            f"{100 * cap['cpu_cores'] / 2:.0f} % of 2 cores; {cap['cpu_ms_per_poll']} ms per poll",
            f"- changes made on the server {cap['changes_made']}, not detected "
            f"{cap['changes_missed']}; latency p50 {_f(_m(lat) and _m(lat) / 1000, ' s')}, "
            f"p95 {_f(_m(lat, 'p95') and _m(lat, 'p95') / 1000, ' s')}",
            f"- RSS steady {cap['rss_steady_mb']} MB, peak {cap['rss_peak_mb']} MB, "
            f"growth {cap['rss_growth_mb_per_1000_polls']} MB per 1,000 polls",
            f"- database: +{cap['db_bytes_growth'] / 1e6:.1f} MB for {cap['new_entries']} new "
            f"entries (with their polls, revisions, events, FTS) = "
            f"{_f(cap['db_kb_per_1000_new_entries'] and cap['db_kb_per_1000_new_entries'] / 1000, ' MB', 1)}"
            " per 1,000 new entries",
        ]
    if soak:
        lines += [
            "",
            "### Soak (PollEngine, 16 in flight, unchanged sources)",
            "",
            f"- {soak['polls']} polls at {soak['polls_per_s']}/s, {soak['cpu_ms_per_poll']} ms "
            f"CPU each, statuses {soak['statuses']}",
            f"- RSS {soak['rss_start_mb']:.1f} → {soak['rss_end_mb']:.1f} MB; growth "
            f"{soak['rss_growth_mb_per_1000_polls']} MB per 1,000 polls (fit over the last 80 %)",
        ]
    if r.get("startup"):
        lines.append(
            f'\nStart-up, `tickerwatch run`: exec to "daemon started" '
            f"{r['startup']['ready_runs_s']} s; exec to the first committed poll "
            f"{r['startup']['first_poll_runs_s']} s (overdue sources are spread over up to "
            "10 s, 0.05 s per configured source: CATCH_UP_SPREAD in scheduler/timing/schedule.py)"
        )
    if r.get("perpoll", {}).get("unexpected"):
        lines.append(f"\nUnexpected outcomes: {r['perpoll']['unexpected'][:5]}")
    return "\n".join(lines)
