"""The sources file: defaults merged in, every problem with its line, add/remove keep comments."""

import pytest

from scheduler.config.edit import add_source, remove_source
from scheduler.config.model import ConfigError
from scheduler.config.reading import load_config
from tests.conftest import tickerwatch

GOOD = """\
# my sources
log_format = "json"

[defaults]
every = "2m"        # poll every two minutes
user_agent = "me/1.0"

[[source]]
name = "ukraine"
url = "https://www.tagesschau.de/newsticker/liveblog-ukraine-montag-100.html"
kind = "liveblog"
site = "tagesschau"

[[source]]   # a feed, polled faster
name = "heise"
url = "https://www.heise.de/rss/heise.rdf"
kind = "feed"
every = "30s"
timeout = "10s"
"""


def problems(text, tmp_path):
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "sources.toml", text=text)
    return [(p.line, p.reason) for p in caught.value.problems]


def test_defaults_merge_into_sources(tmp_path):
    config = load_config(tmp_path / "sources.toml", text=GOOD)
    ukraine, heise = config.sources
    assert config.log_format == "json"
    assert (ukraine.every, ukraine.user_agent, ukraine.site, ukraine.timeout) == (
        120,
        "me/1.0",
        "tagesschau",
        30,
    )
    assert (heise.every, heise.kind, heise.timeout, heise.user_agent) == (30, "feed", 10, "me/1.0")


def test_each_problem_has_its_line(tmp_path):
    text = GOOD.replace('kind = "feed"', 'kind = "feed"\ncolour = "red"').replace('"30s"', '"soon"')
    text = text.replace("https://www.heise", "ftp://www.heise")
    text += '\n[[source]]\nname = "ukraine"\nurl = "https://example.org/live"\nevery = "5s"\n'
    found = problems(text, tmp_path)
    lines = dict((reason.split(" ")[0] + reason.split(" ")[1], line) for line, reason in found)
    assert lines["unknownkey"] == 18  # colour
    assert any(line == 16 and "bad or missing url" in r for line, r in found)
    assert any(line == 19 and "every: not a duration" in r for line, r in found)
    assert any(
        line == 22 and "duplicate source name 'ukraine' (first at line 8)" in r for line, r in found
    )
    assert any(line == 25 and "below the minimum of 10s" in r for line, r in found)


def test_syntax_error_names_the_line(tmp_path):
    assert problems('[[source]]\nname = "x\nurl = 1\n', tmp_path)[0][0] == 2


def test_unknown_site_and_top_level_key(tmp_path):
    found = problems(
        GOOD.replace('"tagesschau"', '"nosuchsite"').replace("log_format", "logformat"), tmp_path
    )
    assert any(line == 2 and "unknown key 'logformat'" in r for line, r in found)
    assert any(line == 12 and "unknown site 'nosuchsite'" in r for line, r in found)


def test_notify_url_is_checked(tmp_path):
    pytest.importorskip("apprise")
    found = problems(
        GOOD.replace("[defaults]", '[defaults]\nnotify = "nosuchscheme://x"'), tmp_path
    )
    assert any("apprise does not understand" in r for _, r in found)
    ok = load_config(
        tmp_path / "s.toml",
        text=GOOD.replace("[defaults]", '[defaults]\nnotify = "json://127.0.0.1:9/"'),
    )
    assert ok.sources[0].notify == ("json://127.0.0.1:9/",)


def test_add_and_remove_keep_comments(tmp_path):
    path = tmp_path / "sources.toml"
    path.write_text(GOOD)
    config, name = add_source(path, "https://example.org/live/ticker", every="5m")
    assert name == "example.org/live/ticker" and config.sources[-1].every == 300
    text = path.read_text()
    assert "# poll every two minutes" in text and "# a feed, polled faster" in text
    remove_source(path, "ukraine")
    after = load_config(path)
    assert [s.name for s in after.sources] == ["heise", "example.org/live/ticker"]
    assert "# my sources" in path.read_text()
    with pytest.raises(ConfigError) as clash:  # a bad add leaves the file alone
        add_source(path, "https://example.org/x", name="heise")
    assert path.read_text().count("[[source]]") == 2
    heise = after.source("heise")
    assert [str(p) for p in clash.value.problems] == [
        f"{path}:{heise.line}: already has a source named 'heise' ({heise.url}); "
        "choose another --name"
    ]
    with pytest.raises(ConfigError) as again:
        add_source(path, "https://example.org/live/ticker", name="other")
    assert [str(p) for p in again.value.problems] == [
        f"{path}:{after.sources[-1].line}: already has https://example.org/live/ticker as "
        "source 'example.org/live/ticker'"
    ]
    assert path.read_text().count("[[source]]") == 2


def test_check_config_command(tmp_path):
    path = tmp_path / "sources.toml"
    path.write_text(GOOD)
    result = tickerwatch("check-config", "--config", str(path))
    assert result.returncode == 0 and "2 sources" in result.stdout
    assert "every 30 s)" in result.stdout  # as status says an interval, not "30s"
    path.write_text(GOOD.replace('every = "30s"', 'every = "fast"'))
    result = tickerwatch("check-config", "--config", str(path))
    assert result.returncode == 2 and f"{path}:18: every: not a duration" in result.stderr
    result = tickerwatch("add", "https://example.org/live", "--name", "ex", "--config", str(path))
    assert result.returncode == 2 and "was not changed" in result.stderr
