"""Embedded platforms, without a network: detection on host pages, endpoints, parsing, safety.

Host pages and documented-shape payloads are our own (tests/fixtures/platforms/); the real
payloads and the five real negative pages are read from ../shared/fixtures/platforms/.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from crawler.extractors import extract_liveblog
from crawler.extractors.page import Page
from crawler.extractors.platforms import (
    PLATFORM_NAMES,
    EmbedError,
    PayloadError,
    endpoint_url,
    find_embed,
    get_platform,
    parse_payload,
)
from crawler.extractors.platforms.hosts import ENV_TEST_HOSTS, checked_url

OWN = Path(__file__).resolve().parent / "fixtures" / "platforms"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "platforms"
needs_shared = pytest.mark.skipif(
    not SHARED.is_dir(), reason="../shared/fixtures/platforms is not beside this checkout"
)
PAGE = "http://127.0.0.1:8000/live.html"


def page(name: str, url: str = PAGE) -> Page:
    return Page((OWN / name).read_bytes(), url)


def shared_json(name: str) -> bytes:
    """A shared payload as JSON bytes; the WordPress .js modules lose their export wrapper."""
    text = (SHARED / name).read_text(encoding="utf-8")
    if name.endswith(".js"):
        text = text.replace("/* eslint-disable */", "").replace("export default", "", 1)
    return text.encode("utf-8")


# --- detection -----------------------------------------------------------------------------

DETECTED = {
    "tickaroo.html": ("tickaroo", "65f1c0ffee1234abcd000001", {"client_id": "a1b2c3d4e5f6a7b8"}),
    "tickaroo_script.html": (
        "tickaroo",
        "5e1d880a00000000000000aa",
        {"client_id": "ffee0011ffee0011"},
    ),
    "sourcefabric.html": (
        "sourcefabric",
        "58bfeb4c15720af1a94c1052",
        {"host": "demo.liveblog.pro"},
    ),
    "wordpress.html": ("wordpress", "4242", {"origin": "http://127.0.0.1:8000"}),
    "24liveblog.html": ("24liveblog", "2916125192049037403", {}),
    "livecenter.html": ("livecenter", "23200", {"tenant": "exampletidning"}),
    "arena.html": ("arena", "eYsOvI6", {"publisher": "examplepub"}),
    "scribblelive.html": ("scribblelive", "2024120", {}),
}


@pytest.mark.parametrize("name", sorted(DETECTED))
def test_each_host_page_is_claimed_by_exactly_its_platform(name: str) -> None:
    platform, blog, params = DETECTED[name]
    ref = find_embed(page(name))
    assert ref is not None and (ref.platform, ref.id) == (platform, blog)
    assert dict(ref.params) == params
    others = [p.name for p in map(get_platform, PLATFORM_NAMES) if p.detect(page(name))]
    assert others == [platform]


def test_every_platform_has_a_host_page() -> None:
    assert sorted({v[0] for v in DETECTED.values()}) == sorted(PLATFORM_NAMES)


NEGATIVES = [
    "tickaroo/negative_waz_2025-09-10_meta-tag-only.html",
    "tickaroo/negative_faz_2025-04-15_config-urls-only.html",
    "tickaroo/negative_t3n_2023-11-06_tik4-css-link-only.html",
    "wordpress-liveblog/negative_nypost_2023-11-09_empty-container.html",
    "sourcefabric-liveblog/negative_ktla_2023-11-09_nexstar-liveblog-iframe-assets.html",
]


@needs_shared
@pytest.mark.parametrize("name", NEGATIVES, ids=lambda n: n.split("/")[1][:20])
def test_real_pages_with_a_misleading_marker_stay_not_a_liveblog(name: str) -> None:
    raw = (SHARED / name).read_bytes()
    manifest = json.loads((SHARED / "manifest.json").read_text())
    url = next(f["url"] for f in manifest["files"] if f["file"] == name)
    assert find_embed(Page(raw, url)) is None
    result = extract_liveblog(raw, url)
    assert result.entries == [] and result.reason.startswith("not a liveblog")
    assert "unknown platform" not in result.reason


def test_two_embeds_are_an_error_naming_both_unless_one_is_forced() -> None:
    with pytest.raises(EmbedError, match=r"embeds 2 liveblogs .*sourcefabric.*tickaroo.*--site"):
        find_embed(page("two_embeds.html"))
    forced = find_embed(page("two_embeds.html"), site="sourcefabric")
    assert forced is not None and forced.platform == "sourcefabric"
    with pytest.raises(EmbedError, match="forced site 'arena': no arena embed"):
        find_embed(page("two_embeds.html"), site="arena")


def test_an_unknown_platform_embed_is_named_in_the_not_a_liveblog_reason() -> None:
    raw = (OWN / "unknown_embed.html").read_bytes()
    assert find_embed(Page(raw, PAGE)) is None
    result = extract_liveblog(raw, PAGE)
    assert result.entries == []
    assert result.reason.startswith("not a liveblog")
    assert "unknown platform (widgets.some-liveblog-vendor.example" in result.reason


def test_ids_that_could_steer_the_url_are_refused() -> None:
    hostile = '<tickaroo-liveblog liveblogId="x/../../evil?a=" clientId="c"></tickaroo-liveblog>'
    with pytest.raises(EmbedError, match="no usable liveblogId"):
        find_embed(Page(hostile, PAGE))
    # A liveblog.pro look-alike host is no Sourcefabric embed.
    fake = (
        '<iframe src="https://liveblog.pro.evil.example/embed/58bfeb4c15720af1a94c1052"></iframe>'
    )
    assert find_embed(Page(fake, PAGE)) is None


# --- endpoints and hosts -------------------------------------------------------------------


def test_endpoints_full_and_incremental() -> None:
    tick = find_embed(page("tickaroo.html"))
    full = get_platform("tickaroo").endpoint(tick)
    assert full.startswith("https://www.tickaroo.com/api/v6/ticker/show.json?")
    query = parse_qs(urlsplit(full).query)
    assert query["id"] == ["65f1c0ffee1234abcd000001"] and query["client_id"] == [
        "a1b2c3d4e5f6a7b8"
    ]
    assert parse_qs(urlsplit(get_platform("tickaroo").endpoint(tick, "7")).query)["refresh"] == [
        "7"
    ]

    sf = find_embed(page("sourcefabric.html"))
    url = get_platform("sourcefabric").endpoint(sf, "2024-04-01T12:00:00+00:00")
    assert url.startswith(
        "https://demo.liveblog.pro/api/client_blogs/58bfeb4c15720af1a94c1052/posts?"
    )
    source = json.loads(unquote(parse_qs(urlsplit(url).query, keep_blank_values=True)["source"][0]))
    assert {"range": {"_updated": {"gt": "2024-04-01T12:00:00+00:00"}}} in (
        source["query"]["filtered"]["filter"]["and"]
    )
    # The window is the newest posts by publication: an edit must not reorder it.
    assert source["sort"] == [{"published_date": {"order": "desc"}}]

    wp = find_embed(page("wordpress.html"))
    wordpress = get_platform("wordpress")
    # The page's own origin, never liveblog_settings.endpoint_url (which names another host).
    assert wordpress.endpoint(wp) == (
        "http://127.0.0.1:8000/wp-json/liveblog/v1/4242/get-entries/1/0-0"
    )
    assert wordpress.endpoint(wp, "1711990000").endswith("/4242/entries/1711990000/2147483647/")

    lc = find_embed(page("livecenter.html"))
    assert get_platform("livecenter").endpoint(lc, "123456") == (
        "https://livecentercdn.norkon.net/BulletinFeed/exampletidning/23200/Changes/123456/"
    )
    lb = find_embed(page("24liveblog.html"))
    assert "last_nid=2916401707872447131" in get_platform("24liveblog").endpoint(
        lb, "2916401707872447131"
    )


def test_only_the_platforms_own_hosts_over_https(monkeypatch) -> None:
    tickaroo = get_platform("tickaroo")
    for bad in (
        "http://www.tickaroo.com/api/v6/ticker/show.json",  # not https
        "https://tickaroo.com.evil.example/api",  # a look-alike
        "https://127.0.0.1/api",  # not a Tickaroo host
    ):
        with pytest.raises(EmbedError, match="refused endpoint host"):
            checked_url(tickaroo, bad, PAGE)
    wordpress = get_platform("wordpress")
    with pytest.raises(EmbedError):  # another site than the page's own
        checked_url(wordpress, "https://evil.example/wp-json/liveblog/v1/1/", PAGE)
    with pytest.raises(EmbedError):  # the page's site, but outside the plugin's namespace
        checked_url(wordpress, "http://127.0.0.1:8000/wp-admin/", PAGE)


def test_the_test_host_mapping_only_points_allowed_hosts_to_loopback(monkeypatch) -> None:
    tick = find_embed(page("tickaroo.html"))
    monkeypatch.setenv(
        ENV_TEST_HOSTS, "www.tickaroo.com=127.0.0.1:9999 evil.example=10.0.0.1:80 x=y"
    )
    endpoint, url = endpoint_url(tick, PAGE)
    assert endpoint.startswith("https://www.tickaroo.com/")
    assert url.startswith("http://127.0.0.1:9999/api/v6/ticker/show.json?id=")
    # A mapping to a non-loopback address is ignored, and a mapped host the platform does not
    # own is still refused.
    monkeypatch.setenv(ENV_TEST_HOSTS, "www.tickaroo.com=10.0.0.1:80")
    assert endpoint_url(tick, PAGE)[1] == endpoint
    monkeypatch.setenv(ENV_TEST_HOSTS, "evil.example=127.0.0.1:9999")
    with pytest.raises(EmbedError):
        checked_url(get_platform("tickaroo"), "https://evil.example/x", PAGE)


# --- parsing: the real payloads ------------------------------------------------------------


@needs_shared
def test_sourcefabric_demo_blog_real_payload() -> None:
    """liveblog.pro demo, page 1: 25 posts; 1 reader comment is not shown; 13 deleted; 2 sticky."""
    entries = parse_payload(
        "sourcefabric",
        shared_json("sourcefabric-liveblog/liveblogpro-demo_client-blogs-posts_p1.json"),
        PAGE,
    )
    assert len(entries) == 24
    assert sum(e.deleted for e in entries) == 13
    live = [e for e in entries if not e.deleted]
    assert len(live) == 11 and sum(e.pinned for e in live) == 2
    assert all(e.key.startswith("urn:newsml:localhost:2017-03-") for e in entries)
    assert [e.position for e in entries] == list(range(24))
    newest = entries[0]
    assert newest.key.endswith("af6e19d333ca")
    assert newest.published_at == "2017-03-23T10:46:19+00:00"
    assert newest.author == "Gideon Lehmann" and "scorecard" in newest.body_html
    assert all(e.title == "" for e in entries)  # Live Blog posts have no title


@needs_shared
def test_sourcefabric_newslab_real_payloads() -> None:
    entries = parse_payload(
        "sourcefabric",
        shared_json("sourcefabric-liveblog/livebridge_client-blogs-posts.json"),
        PAGE,
    )
    assert len(entries) == 14  # 15 posts, one still "submitted" (not published)
    assert not any(e.deleted or e.pinned for e in entries)
    assert entries[0].published_at == "2016-03-29T13:41:31+00:00"
    assert "<figure><img" in entries[0].body_html
    single = parse_payload(
        "sourcefabric", shared_json("sourcefabric-liveblog/livebridge_single-post.json"), PAGE
    )
    assert [e.key[-12:] for e in single] == ["cc6d5f02b2c9"]
    assert "<blockquote>" in single[0].body_html


@needs_shared
def test_scribblelive_and_tickaroo_real_single_posts() -> None:
    (post,) = parse_payload(
        "scribblelive", shared_json("scribblelive/livebridge_sl-post.json"), PAGE
    )
    assert (post.key, post.author, post.deleted, post.pinned) == (
        "257397455",
        "Martin Borho",
        False,
        False,
    )
    assert post.published_at == "2016-04-21T09:40:26+00:00"
    assert post.updated_at == "2016-04-21T09:45:59+00:00"
    (event,) = parse_payload(
        "tickaroo", shared_json("tickaroo/livebridge-tickaroo_event-v5.json"), PAGE
    )
    assert event.key == "666890f6-9054-4f81-81ac-cc6d5f02b2c9"
    assert event.published_at == "2016-04-28T11:24:22+00:00"
    assert event.body_html.startswith("<p>Text mit ein parr Formatierungen.")
    assert "Johann Wolfgang von Goethe" in event.body_html and "<figure>" in event.body_html


@needs_shared
def test_wordpress_mock_responses() -> None:
    paged = parse_payload(
        "wordpress", shared_json("wordpress-liveblog/automattic-mock_get-entries.js"), PAGE
    )
    assert [e.key for e in paged] == ["2977", "2976", "2975", "2974", "2973"]
    assert paged[0].published_at == "2017-11-28T12:43:31+00:00"
    poll = parse_payload(
        "wordpress", shared_json("wordpress-liveblog/automattic-mock_entries-poll.js"), PAGE
    )
    assert [e.key for e in poll] == ["3250"]
    (key,) = parse_payload(
        "wordpress", shared_json("wordpress-liveblog/automattic-mock_key-events.js"), PAGE
    )
    assert key.key == "3251" and key.pinned


# --- parsing: our own payloads in the documented shapes --------------------------------------


def own(platform: str, name: str) -> list:
    return parse_payload(platform, (OWN / name).read_bytes(), PAGE)


def test_tickaroo_v6_show_response() -> None:
    entries = own("tickaroo", "tickaroo_show.json")
    assert [(e.key, e.deleted, e.pinned) for e in entries] == [
        ("ev-0003", False, False),
        ("ev-0002", False, False),
        ("ev-0001", False, True),
        ("ev-0000", True, False),
    ]
    assert entries[2].title == "Das Wichtigste" and entries[0].author == "Anna Beispiel"
    assert entries[1].updated_at == "2024-04-01T16:55:00+00:00"
    assert "<blockquote><p>Wir sparen nicht an der Bildung.</p>" in entries[1].body_html


def test_the_other_documented_shapes() -> None:
    news = own("24liveblog", "24liveblog_news.json")
    assert [e.key[-1] for e in news] == ["3", "2", "1"] and news[1].pinned
    assert news[1].title == "Key moment" and news[0].published_at == "2024-04-01T17:00:00+00:00"
    lc = own("livecenter", "livecenter_initial.json")
    assert [(e.key, e.deleted) for e in lc] == [("901", False), ("900", False), ("899", True)]
    assert lc[0].title == "Rösterna räknas" and lc[0].author == "Karin Exempel"
    arena = own("arena", "arena_liveblog.json")
    assert [e.key for e in arena] == ["p-3", "p-2", "p-1"] and arena[1].pinned
    assert arena[0].published_at == "2024-04-01T17:00:00+00:00"
    sl = {e.key: e for e in own("scribblelive", "scribblelive_all.json")}
    assert sl["2"].body_html == "Turnout is very high." and sl["2"].pinned  # the edit wins
    assert sl["1"].deleted and sl["4"].deleted and not sl["3"].deleted
    wp = {e.key: e for e in own("wordpress", "wordpress_entries.json")}
    assert wp["10"].deleted and not wp["11"].deleted and wp["11"].pinned
    assert wp["11"].updated_at == "2024-04-01T16:58:20+00:00" and wp["12"].author == "Sam Reporter"


@pytest.mark.parametrize(
    ("platform", "body", "message"),
    [
        ("tickaroo", b"<html>Wartungsarbeiten</html>", "tickaroo: response is not JSON"),
        ("tickaroo", b'{"game": {}}', "tickaroo: expected 'events' to be a list"),
        ("sourcefabric", b"[1, 2]", "sourcefabric: expected the response to be a dict"),
        ("sourcefabric", b'{"_items": [3]}', "sourcefabric: expected a post to be a dict"),
        ("wordpress", b'{"entries": "none"}', "wordpress: expected 'entries' to be a list"),
        ("24liveblog", b'{"err_code": 500, "data": {}}', "24liveblog: err_code 500"),
        ("livecenter", b'{"success": false}', "livecenter: expected 'result' to be a dict"),
        ("arena", b'{"eventInfo": {}}', "arena: expected 'posts' to be a list"),
        ("scribblelive", b'{"Posts": {}}', "scribblelive: expected 'Posts' to be a list"),
    ],
)
def test_a_payload_of_the_wrong_shape_is_a_specific_error(platform, body, message) -> None:
    with pytest.raises(PayloadError) as raised:
        parse_payload(platform, body, PAGE)
    assert str(raised.value).startswith(message)
