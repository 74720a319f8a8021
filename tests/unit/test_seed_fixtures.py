"""Seed fixtures: seeds unchanged, feeds parse to the right items and dates, links resolve, page metadata."""

from __future__ import annotations

import hashlib
import re
from calendar import timegm
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit
from urllib.request import url2pathname

import feedparser
import lxml.html
import pytest

REPO = Path(__file__).resolve().parents[2]
SEEDS = REPO / "seeds"
SHARED_SEEDS = REPO / ".." / "shared" / "seeds"

# sha256 of the seed files as shared (../shared/seeds), so the check holds where that folder is absent.
SEED_SHA256 = {
    "000_ccac7b9bec0f3b7e.txt": "786ea60bb15d00dc90cae21c007ca1f53ab5ed1f594b178845f037dcb19b8f85",
    "001_9598d2335c4139ab.txt": "accb3fa9a1f7a35f601e8f5bac156182c4e9d45cf0d73a88a37e25c738e1b6e7",
    "002_55e5600d96472930.txt": "058e4fa19c9dcd81573ba3804092eabccefc7aa4cd4233c6983b3bb6bdec99e3",
    "003_ae4a6f0e0f0b7b5f.txt": "150ad53bd5c31b70fd21c156e2c48d64b8bb1509ef52275f0289e660ba842add",
    "004_b4a537f1d5559298.txt": "02b103df9309a4bbbed3010448383a82645c71dd8f73dbdfcfd650b1357aaee2",
}

# feed -> (feedparser version, language, [(page, title, published UTC)] in feed order)
FEEDS = {
    "presstv-fr.xml": ("rss20", "fr", [
        ("003-iran-irak-cooperation-menaces-communes",
         "L’Irak et l’Irak renforcent leur coopération face aux menaces communes",
         datetime(2023, 2, 27, 8, 0, tzinfo=UTC)),
        ("000-irak-ministre-defense-attendu-teheran",
         "Le ministre irakien de la Défense attendu à Téhéran pour renforcer la coopération militaire",
         datetime(2020, 11, 13, 9, 30, tzinfo=UTC)),
        ("001-taghizadeh-rencontre-al-ghanmi-bagdad",
         "Irak : le vice-ministre iranien de la Défense rencontre le chef d'état-major irakien",
         datetime(2019, 2, 26, 11, 15, tzinfo=UTC)),
    ]),
    "en-wire.xml": ("atom10", "en", [
        ("002-iranian-defense-minister-ready-iraqi-armed-forces",
         "Iranian Defense Minister: Ready to meet the needs of the Iraqi armed forces to strengthen their defense "
         "forces", datetime(2020, 11, 16, 7, 45, tzinfo=UTC)),
        ("004-iran-provided-iraq-defense-products", "Iran has provided Iraq with defense products, says general",
         datetime(2020, 11, 15, 14, 54, tzinfo=UTC)),
    ]),
    "mirror.xml": ("rss20", None, [
        ("mirror-004-iran-supplied-iraq-defense-equipment",
         "Iran has provided Iraq with defense products, says general", datetime(2020, 11, 17, 6, 10, tzinfo=UTC)),
        ("mirror-001-general-iranien-rencontre-chef-etat-major-irakien",
         "Irak : le vice-ministre iranien de la Défense rencontre le chef d'état-major irakien",
         datetime(2019, 2, 28, 10, 0, tzinfo=UTC)),
    ]),
}
MIRROR_OF = {"mirror-004-iran-supplied-iraq-defense-equipment": "004-iran-provided-iraq-defense-products",
             "mirror-001-general-iranien-rencontre-chef-etat-major-irakien":
                 "001-taghizadeh-rencontre-al-ghanmi-bagdad"}
SITE_OF = {"presstv-fr.xml": ("PressTV", "french.presstv.ir", "fr"), "mirror.xml": ("Regional Wire Digest",
           "www.regionalwire-digest.com", None)}
PUBLISHED = {page: when for _, _, items in FEEDS.values() for page, _, when in items}


def parse(feed: str) -> feedparser.FeedParserDict:
    # Bytes, as the pipeline hands them over: feedparser leaves relative links relative.
    return feedparser.parse((SEEDS / "feeds" / feed).read_bytes())


def test_the_five_seeds_are_the_shared_seeds_unchanged() -> None:
    names = sorted(p.name for p in SEEDS.glob("*.txt"))
    assert names == sorted(SEED_SHA256)
    if SHARED_SEEDS.is_dir():
        for name in names:
            assert (SEEDS / name).read_bytes() == (SHARED_SEEDS / name).read_bytes(), name
    assert {n: hashlib.sha256((SEEDS / n).read_bytes()).hexdigest() for n in names} == SEED_SHA256


@pytest.mark.parametrize("feed", sorted(FEEDS))
def test_feed_items_titles_dates_and_links(feed: str) -> None:
    version, lang, expected = FEEDS[feed]
    parsed = parse(feed)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == version
    if lang:
        assert parsed.feed.get("language") == lang or parsed.feed.get("title_detail", {}).get("language") == lang
    got = []
    for entry in parsed.entries:
        when = datetime.fromtimestamp(timegm(entry.published_parsed), tz=UTC)
        assert entry.link.startswith("../pages/"), entry.link
        got.append((Path(entry.link).stem, entry.title, when))
        assert entry.id.startswith("https://"), entry.id
    assert got == expected
    assert len({e.id for e in parsed.entries}) == len(parsed.entries)


@pytest.mark.parametrize("feed", sorted(FEEDS))
def test_every_feed_link_resolves_to_a_page(feed: str) -> None:
    base = (SEEDS / "feeds" / feed).resolve().as_uri()
    for entry in parse(feed).entries:
        url = urljoin(base, entry.link)
        assert urlsplit(url).scheme == "file"
        path = Path(url2pathname(urlsplit(url).path))
        assert path.is_file(), url
        assert path.parent == (SEEDS / "pages").resolve()


def test_every_page_is_in_exactly_one_feed() -> None:
    linked = [Path(e.link).stem for feed in FEEDS for e in parse(feed).entries]
    pages = sorted(p.stem for p in (SEEDS / "pages").glob("*.html"))
    assert sorted(linked) == pages
    assert len(pages) == 7


def test_mirrors_are_published_a_day_or_two_after_the_originals() -> None:
    for mirror, original in MIRROR_OF.items():
        delay = PUBLISHED[mirror] - PUBLISHED[original]
        assert 1 <= delay.total_seconds() / 86400 <= 3, mirror


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_page_metadata_is_realistic(name: str) -> None:
    tree = lxml.html.fromstring((SEEDS / "pages" / f"{name}.html").read_bytes())

    def meta(key: str) -> str:
        values = tree.xpath(f'//head/meta[@property="{key}" or @name="{key}"]/@content')
        assert len(values) == 1, key
        return str(values[0])

    lang = tree.get("lang")
    title = str(tree.findtext(".//head/title"))
    og_title, site = meta("og:title"), meta("og:site_name")
    assert lang in {"fr", "en"}
    assert re.search(rf" [|-] {re.escape(site)}$", title), title          # "<headline> | Site"
    headline = re.sub(rf" [|-] {re.escape(site)}$", "", title)
    assert og_title in {headline, title}
    published = datetime.fromisoformat(meta("article:published_time"))
    assert published.tzinfo is not None and published.astimezone(UTC) == PUBLISHED[name]
    assert meta("author").strip()
    canonical = tree.xpath('//head/link[@rel="canonical"]/@href')
    assert len(canonical) == 1 and urlsplit(canonical[0]).scheme == "https"
    assert meta("og:url") == canonical[0]
    for feed, (_, _, items) in FEEDS.items():
        for page, feed_title, _ in items:
            if page == name:
                assert feed_title == headline
                if feed in SITE_OF:
                    assert urlsplit(canonical[0]).hostname == SITE_OF[feed][1]
