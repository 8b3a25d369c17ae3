"""Where the time goes on the real pages: ``python -m bench.fixture_timings``.

For every page and feed in ``../shared/fixtures/real`` (beside the checkout): extraction
against a bare lxml parse of the same bytes, feed parsing, and the clean step on the pages' own
entry fragments. Best of N runs, wall time; printed, nothing asserted (the test suite checks
what comes out, this shows how long it takes).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path

REAL = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "real"
LOCAL_URL = "http://127.0.0.1:1234/x.html"


def best_ms(work: Callable[[], object], runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--real", default=str(REAL), help="the real fixtures folder")
    args = parser.parse_args()
    real = Path(args.real)
    manifest = json.loads((real / "manifest.json").read_text())

    import lxml.html

    from crawler.extractors import extract_liveblog
    from crawler.feeds.parse import parse_feed
    from crawler.text.cleaning import clean_fragment

    print(f"{'page':48} {'MB':>5} {'extract ms':>10} {'parse ms':>9} {'ratio':>6}")
    fragments: list[str] = []
    for page in manifest["liveblogs"] + manifest["non_liveblogs"]:
        raw = (real / page["file"]).read_bytes()
        parse = best_ms(lambda raw=raw: lxml.html.document_fromstring(raw), args.runs)
        total = best_ms(lambda raw=raw: extract_liveblog(raw, LOCAL_URL), args.runs)
        result = extract_liveblog(raw, LOCAL_URL)
        fragments += [e.body_html for e in result.entries if e.body_html][:100]
        print(
            f"{page['file'][:48]:48} {len(raw) / 1e6:5.2f} {total:10.1f} {parse:9.1f}"
            f" {total / parse:5.1f}×"
        )
    print()
    for feed in sorted((real / "feeds").iterdir()):
        body = feed.read_bytes()
        ms = best_ms(lambda body=body: parse_feed(body, "https://example.org/feed"), args.runs)
        print(f"parse_feed {feed.name:48} {ms:7.1f} ms")
    if fragments:
        ms = best_ms(lambda: [clean_fragment(f) for f in fragments], args.runs)
        print(
            f"\nclean_fragment: {ms / len(fragments):.3f} ms per entry ({len(fragments)} entries)"
        )


if __name__ == "__main__":
    main()
