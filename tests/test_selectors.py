"""Per-source CSS selectors: a site no adapter knows, configured in the sources file."""

import pytest

from crawler.extractors import extract_liveblog
from scheduler.config.model import ConfigError
from scheduler.config.reading import load_config

PAGE = """<html><head><title>Stadtrat live</title></head><body>
<div class="feed">
  <section class="update top" data-id="u3"><span class="when" data-ts="2024-05-25T20:37:00+02:00">20:37</span>
    <h4>Abstimmung beendet</h4><div class="txt"><p>Der Antrag ist angenommen.</p>
    <p><a href="/mehr">mehr dazu</a></p></div></section>
  <section class="update" data-id="u2"><span class="when" data-ts="2024-05-25T20:10:00+02:00">20:10</span>
    <h4>Debatte</h4><div class="txt"><p>Die Fraktionen streiten.</p></div></section>
</div></body></html>"""

SELECTORS = {
    "entry": "div.feed > section.update",
    "key": "@data-id",
    "time": "span.when@data-ts",
    "title": "h4",
    "body": "div.txt",
    "pinned": "section.top",
    "timezone": "Europe/Berlin",
}


def test_selectors_extract_an_unknown_site():
    result = extract_liveblog(PAGE, "http://127.0.0.1:1/stadtrat", selectors=SELECTORS)
    assert [e.key for e in result.entries] == ["u3", "u2"]
    first = result.entries[0]
    assert first.title == "Abstimmung beendet"
    assert first.published_at == "2024-05-25T18:37:00+00:00"
    assert "Der Antrag ist angenommen." in first.body_html and "Abstimmung" not in first.body_html
    assert result.strategy == "selectors"


def write(tmp_path, text):
    path = tmp_path / "sources.toml"
    path.write_text(text)
    return path


def test_config_selectors_are_checked_with_their_line(tmp_path):
    good = write(
        tmp_path,
        '[[source]]\nurl = "https://example.org/live"\n\n[source.selectors]\n'
        'entry = "div.feed > section.update"\ntitle = "h4"\ntime = "span.when@data-ts"\n',
    )
    source = load_config(good).sources[0]
    assert dict(source.selectors)["entry"] == "div.feed > section.update"
    bad = write(
        tmp_path,
        '# comment\n[[source]]\nurl = "https://example.org/live"\n'
        'selectors = { entry = "div..broken((", title = "h4" }\n',
    )
    with pytest.raises(ConfigError, match=r"sources.toml:4: selectors: selector does not parse"):
        load_config(bad)
    missing = write(
        tmp_path,
        '[[source]]\nurl = "https://example.org/live"\nselectors = { title = "h4" }\n',
    )
    with pytest.raises(
        ConfigError, match=r"sources.toml:3: selectors: selectors need at least entry"
    ):
        load_config(missing)
