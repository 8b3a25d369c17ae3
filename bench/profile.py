"""Profile one kind of poll with pyinstrument: ``python -m bench.profile --base URL --kind K``.

Kinds: ``unchanged_304``, ``unchanged_no304``, ``liveblog_new_entry``, ``feed_new_item``.
Prints pyinstrument's text report of N polls of that kind through the real PollEngine.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from bench.common import ctl


async def profile(args) -> str:
    from pyinstrument import Profiler

    from scheduler.engine import PollEngine, make_settings

    sources = ctl(args.base, "sources")
    if args.kind.startswith("feed"):
        source = [s for s in sources if s["kind"] == "feed"][0]
    else:
        conditional = args.kind != "unchanged_no304"
        source = [
            s
            for s in sources
            if s["kind"] == "liveblog"
            and s["conditional"] == conditional
            and s["style"] == args.style
        ][0]
    engine = PollEngine(make_settings(args.db))
    await engine.start()
    kind = source["kind"]
    for _ in range(2):
        await engine.poll_async(source["url"], kind=kind, max_articles=0)
    profiler = Profiler(interval=0.0005, async_mode="disabled")
    for _ in range(args.n):
        if "new" in args.kind:
            ctl(args.base, "change", src=source["name"], op="add")
        profiler.start()
        await engine.poll_async(source["url"], kind=kind, max_articles=0)
        profiler.stop()
    await engine.stop()
    return profiler.output_text(unicode=False, color=False, show_all=False)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--kind", default="liveblog_new_entry")
    parser.add_argument("--style", default="jsonld+reach")
    parser.add_argument("--n", type=int, default=30)
    args = parser.parse_args()
    args.db = str(Path(tempfile.mkdtemp(prefix="twbench-")) / "profile.db")
    from scheduler.reactor import run

    print(run(lambda: profile(args)))


if __name__ == "__main__":
    main()
