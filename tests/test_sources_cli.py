"""``tickerwatch sources`` and ``forget``, on a database filled by real polls on 127.0.0.1: a
SQLite file and a PostgreSQL database (conftest.py's ``store_location``)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from crawler.store.db import Store
from crawler.store.queries import list_entries
from scheduler.cli.app import main
from tests.conftest import query, tickerwatch
from tests.pages import jsonld_liveblog

TABLES = ("sources", "entries", "revisions", "polls", "events")


def posts(*ids: int, extra: str = "") -> list[dict]:
    return [
        {"id": n, "headline": f"Meldung {n}", "body": f"Text über Kiew {n}{extra}."}
        for n in sorted(ids, reverse=True)
    ]


def counts(db) -> dict[str, int]:
    return {t: query(db, f"SELECT count(*) FROM {t}")[0][0] for t in TABLES}


def test_sources_lists_config_membership_and_forget_drops_only_the_unconfigured(
    server, store_location, tmp_path
):
    kept = server.set("/kept.html", jsonld_liveblog(posts(1, 2)))
    typo = server.set("/typo.html", jsonld_liveblog(posts(1, 2, 3)))
    assert tickerwatch("poll", kept, typo, db=store_location).returncode == 0
    server.set("/typo.html", jsonld_liveblog(posts(2, 3, 4, extra=" (korrigiert)")))
    assert tickerwatch("poll", typo, db=store_location).returncode == 0
    config = tmp_path / "sources.toml"
    config.write_text(f'[[source]]\nname = "kept"\nurl = "{kept}"\n')
    base = ["--db", str(store_location)]
    listing = CliRunner().invoke(main, [*base, "sources", "--config", str(config), "--json"])
    rows = {r["url"]: r for r in map(json.loads, listing.output.splitlines())}
    assert rows[kept]["in_config"] == "yes" and rows[typo]["in_config"] == "no"
    assert rows[typo]["live_entries"] == 4 and rows[kept]["last_poll"]
    table = CliRunner().invoke(main, [*base, "sources", "--config", str(config)]).output
    assert table.splitlines()[0].split() == [
        "NAME",
        "URL",
        "KIND",
        "CONFIG",
        "LIVE",
        "LAST",
        "POLL",
    ]

    configured = rows[kept]["name"]
    refused = CliRunner().invoke(main, [*base, "forget", configured, "--config", str(config)])
    assert refused.exit_code == 1 and (
        f"remove it first: tickerwatch remove kept --config {config}" in refused.output
    )
    before = counts(store_location)
    name = rows[typo]["name"]
    declined = CliRunner().invoke(
        main, [*base, "forget", name, "--config", str(config)], input="n\n"
    )
    assert declined.exit_code == 1 and counts(store_location) == before

    done = CliRunner().invoke(main, [*base, "forget", name, "--config", str(config), "--yes"])
    assert done.exit_code == 0, done.output
    assert "4 entries, 6 revisions, 2 polls, 6 events" in done.output
    after = counts(store_location)
    assert after == {"sources": 1, "entries": 2, "revisions": 2, "polls": 1, "events": 2}
    store = Store(store_location, readonly=True)
    try:  # the forgotten source's text left the full-text index too
        assert len(list_entries(store, search="Kiew")) == 2
    finally:
        store.close()
    again = CliRunner().invoke(main, [*base, "forget", name, "--yes"])
    assert again.exit_code == 1 and "no source named" in again.output
