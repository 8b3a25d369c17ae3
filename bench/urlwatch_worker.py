"""urlwatch 2.x with its ``html2text`` filter on the benchmark's pages, CPU per job, in process.

``python -m bench.urlwatch_worker --base URL --out JSON --dir TMP [--samples N]``

Runs urlwatch's own job runner (``urlwatch.worker.run_jobs``: fetch with requests, the
conditional GET urlwatch does itself, the html2text filter, the comparison with its minidb
cache, and the unified diff a reporter would print) one job at a time, and times each run with
``time.process_time()``. urlwatch's start-up (imports, config, cache open) is not counted: it
is paid once per cron run, and leaving it out only flatters urlwatch.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import time
from pathlib import Path

from bench.common import ctl, summary


def build(workdir: Path, urls: list[str]):
    os.environ["HOME"] = str(workdir)
    os.environ["XDG_CONFIG_HOME"] = str(workdir / "config")
    os.environ["XDG_CACHE_HOME"] = str(workdir / "cache")
    from urlwatch.config import CommandConfig
    from urlwatch.main import Urlwatch
    from urlwatch.storage import CacheMiniDBStorage, UrlsYaml, YamlConfigStorage

    jobs = "\n---\n".join(f"url: {u}\nfilter:\n  - html2text\n" for u in urls)
    (workdir / "urls.yaml").write_text(jobs)
    config = CommandConfig(
        [
            "--urls",
            str(workdir / "urls.yaml"),
            "--config",
            str(workdir / "urlwatch.yaml"),
            "--cache",
            str(workdir / "cache.db"),
            "--hooks",
            str(workdir / "hooks.py"),
        ],
        "urlwatch",
        str(workdir),
        str(workdir),
        str(workdir / "urlwatch.yaml"),
        str(workdir / "urls.yaml"),
        str(workdir / "hooks.py"),
        str(workdir / "cache.db"),
        False,
    )
    config_storage = YamlConfigStorage(config.config)
    config_storage.load()
    watcher = Urlwatch(
        config, config_storage, CacheMiniDBStorage(config.cache), UrlsYaml(config.urls)
    )
    return watcher


def run_one(watcher, job) -> tuple[float, str]:
    """One urlwatch job: its runner, then the diff its reporter would render. CPU ms, verb."""
    from urlwatch.worker import run_jobs

    watcher.jobs = [job]
    watcher.report.job_states = []
    gc.collect()
    c0 = time.process_time()
    run_jobs(watcher)
    states = watcher.report.job_states
    for state in states:
        if state.verb == "changed":
            state.get_diff()
    ms = (time.process_time() - c0) * 1000
    return ms, states[0].verb if states else "?"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--samples", type=int, default=40)
    args = parser.parse_args()
    workdir = Path(args.dir)
    workdir.mkdir(parents=True, exist_ok=True)
    sources = ctl(args.base, "sources")
    probes = [s for s in sources if s["kind"] == "liveblog"][:6]
    watcher = build(workdir, [s["url"] for s in probes])
    jobs = list(watcher.jobs)
    by_url = {j.url: j for j in jobs}
    times: dict[str, list[float]] = {}
    verbs: dict[str, list[str]] = {}

    def record(name: str, ms: float, verb: str) -> None:
        times.setdefault(name, []).append(ms)
        verbs.setdefault(name, []).append(verb)

    for s in probes:  # first sight ("new") then one settle run
        record("first_run", *run_one(watcher, by_url[s["url"]]))
        run_one(watcher, by_url[s["url"]])
    for _ in range(args.samples):
        for s in probes:
            name = "unchanged_304" if s["conditional"] else "unchanged_no304"
            record(name, *run_one(watcher, by_url[s["url"]]))
    for _ in range(max(4, args.samples // 10)):
        for s in probes:
            ctl(args.base, "change", src=s["name"], op="add")
            record("changed_new_entry", *run_one(watcher, by_url[s["url"]]))
    watcher.cache_storage.close()
    result = {k: summary(v) for k, v in times.items()}
    result["verbs"] = {k: sorted(set(v)) for k, v in verbs.items()}
    import urlwatch

    result["version"] = urlwatch.__version__
    Path(args.out).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
