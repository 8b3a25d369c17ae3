"""Many sources at once (issue 12, item 12): the real daemon with hundreds of sources due
together against one slow server. Polls wait in the engine, not in Scrapy, so SIGTERM drops
the ones not yet sent and keeps its promise (exit within ~7.5 s), and a mass failure is one
summary line, not one warning per source. The 10,000-source figures are in bench/README.md
(``python -m bench.many_sources``)."""

from __future__ import annotations

import re
import signal
import time

import pytest

from tests.daemon_process import DaemonProcess, liveblog_page
from tests.faultkit import fault_env, faults, record
from tests.faultserver import Reply

pytestmark = pytest.mark.faults
__all__ = ["fault_env", "faults"]

SOURCES = 300


def config_for(faults, n: int, *, timeout: str = "30s") -> str:
    return "".join(
        f'[[source]]\nname = "s{i}"\nurl = "{faults.url(f"/live/{i}.html")}"\n'
        f'kind = "liveblog"\nevery = "60s"\ntimeout = "{timeout}"\n'
        for i in range(n)
    )


def test_sigterm_with_hundreds_of_polls_due_keeps_its_promise(faults, tmp_path, monkeypatch):
    monkeypatch.setenv("TICKERWATCH_MIN_INTERVAL", "0.5")
    page = liveblog_page([("e1", "Meldung 1", "Text.")]).encode()
    for i in range(SOURCES):  # every answer takes 5 s: the polls pile up
        faults.route(f"/live/{i}.html", Reply(page, delay=5.0))
    config = tmp_path / "sources.toml"
    config.write_text(config_for(faults, SOURCES))
    daemon = DaemonProcess(tmp_path / "tw.db", config)
    try:
        daemon.wait_for(r"daemon started", timeout=60)
        deadline = time.monotonic() + 60
        while sum(faults.open.values()) < 8 and time.monotonic() < deadline:
            time.sleep(0.05)
        in_flight = sum(faults.open.values())
        assert in_flight >= 8, in_flight  # precondition: polls in flight, more queued
        time.sleep(3)  # the catch-up spread makes every source due by now
        started = time.monotonic()
        daemon.signal(signal.SIGTERM)
        code = daemon.wait(timeout=60)
        took = time.monotonic() - started
    finally:
        daemon.stop()
    log = daemon.text()
    warnings = [line for line in log.splitlines() if " WARNING " in line]
    record(f"scale: SIGTERM with {SOURCES} sources due")
    assert code == 0 and "stopped; database" in log, log[-3000:]
    assert took < 10.0, took  # the promise: about 7.5 s, whatever the number of sources
    assert re.search(r"\d+ queued polls dropped", log), log[-3000:]
    assert len(warnings) <= 2, warnings[:10]  # "abandoning N in-flight polls", at most


def test_a_mass_failure_is_summarised_not_one_warning_per_source(faults, tmp_path, monkeypatch):
    monkeypatch.setenv("TICKERWATCH_MIN_INTERVAL", "0.5")
    for i in range(SOURCES):
        faults.route(f"/live/{i}.html", Reply(b"down", 503, {"Content-Type": "text/plain"}))
    config = tmp_path / "sources.toml"
    config.write_text(config_for(faults, SOURCES))
    daemon = DaemonProcess(tmp_path / "tw.db", config)
    try:
        daemon.wait_for(r"daemon started", timeout=60)
        deadline = time.monotonic() + 90
        while faults.hits() < SOURCES and time.monotonic() < deadline:
            time.sleep(0.2)
        assert faults.hits() >= SOURCES  # every source failed once
    finally:
        assert daemon.stop() == 0
    log = daemon.text()
    warnings = [line for line in log.splitlines() if " WARNING " in line]
    record(f"scale: {SOURCES} sources failing at once")
    assert len(warnings) <= 60, len(warnings)
    held = sum(int(n) for n in re.findall(r"(\d+) more poll warnings within", log))
    assert held >= SOURCES - 60, (held, warnings[-3:])
