"""extract() on the seed pages (body kept, chrome and noise gone, metadata) and on small pages; decode_html."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import lxml.html
import pytest

from newswatch.core.extract import decode_html, extract
from newswatch.errors import ExtractionError

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
PAGES = SEEDS / "pages"

# The seeds' own page noise, line by line (real, captured with the articles): never article body.
SEED_NOISE = {
    "000_ccac7b9bec0f3b7e.txt": [
        "Lire aussi:",
        "\"Nous avons conclu d'importants contrats avec la Russie et la Chine\" (le général Hatami)"],
    "001_9598d2335c4139ab.txt": ["Source: PressTV"],
    "002_55e5600d96472930.txt": [
        "Home Politics Iranian Defense Minister: Ready to meet the needs of the Iraqi armed forces to "
        "strengthen their defense forces",
        "by YCPress"],
    "003_ae4a6f0e0f0b7b5f.txt": [
        "TV",
        "Infos   /   A La Une   /   Iran   /   Moyen-Orient   /   L’INFO EN CONTINU",
        "US Rep. Ilhan Omar (D-MN) (L) talks with Speaker of the House Nancy Pelosi (D-CA) during a rally with "
        "fellow Democrats before voting on H.R. 1, or the People Act, on the East Steps of the US Capitol on "
        "March 08, 2019 in Washington, DC. (AFP photo)",
        "Le chef d'état-major des forces armées iraniennes, le général de division Mohammad Baqeri (G) et le "
        "ministre irakien de la Défense Thabet Muhammad Saeed al-Abbasi, à Téhéran, le 26 février 2023. ©DefaPress",
        "Partager Cet Article",
        "SOURCE: FRENCH PRESS TV"],
    "004_b4a537f1d5559298.txt": ["Leave a Comment", "0 + 0 ="],
}

# page -> (seed, title, published UTC, canonical URL, site name)
ORIGINALS = {
    "000-irak-ministre-defense-attendu-teheran": (
        "000_ccac7b9bec0f3b7e.txt",
        "Le ministre irakien de la Défense attendu à Téhéran pour renforcer la coopération militaire",
        datetime(2020, 11, 13, 9, 30, tzinfo=UTC),
        "https://french.presstv.ir/Detail/2020/11/13/639421/Irak-ministre-Defense-attendu-Teheran", "PressTV"),
    "001-taghizadeh-rencontre-al-ghanmi-bagdad": (
        "001_9598d2335c4139ab.txt",
        "Irak : le vice-ministre iranien de la Défense rencontre le chef d'état-major irakien",
        datetime(2019, 2, 26, 11, 15, tzinfo=UTC),
        "https://french.presstv.ir/Detail/2019/02/26/589318/Iran-Irak-Taghizadeh-al-Ghanmi-Bagdad", "PressTV"),
    "002-iranian-defense-minister-ready-iraqi-armed-forces": (
        "002_55e5600d96472930.txt",
        "Iranian Defense Minister: Ready to meet the needs of the Iraqi armed forces to strengthen their "
        "defense forces",
        datetime(2020, 11, 16, 7, 45, tzinfo=UTC),
        "https://www.ycpress.com/2020/11/16/iranian-defense-minister-ready-to-meet-the-needs-of-the-iraqi-armed-"
        "forces/", "YCPress"),
    "003-iran-irak-cooperation-menaces-communes": (
        "003_ae4a6f0e0f0b7b5f.txt",
        "L’Irak et l’Irak renforcent leur coopération face aux menaces communes",
        datetime(2023, 2, 27, 8, 0, tzinfo=UTC),
        "https://french.presstv.ir/Detail/2023/02/27/700214/Iran-Irak-cooperation-menaces-communes", "PressTV"),
    "004-iran-provided-iraq-defense-products": (
        "004_b4a537f1d5559298.txt",
        "Iran has provided Iraq with defense products, says general",
        datetime(2020, 11, 15, 14, 54, tzinfo=UTC),
        "https://www.tehrantimes.com/news/455381/Iran-has-provided-Iraq-with-defense-products-says-general",
        "Tehran Times"),
}

# mirror page -> (original page, published UTC, canonical, edits the syndication site made: old -> new)
MIRRORS = {
    "mirror-004-iran-supplied-iraq-defense-equipment": (
        "004-iran-provided-iraq-defense-products", datetime(2020, 11, 17, 6, 10, tzinfo=UTC),
        "https://www.regionalwire-digest.com/2020/11/17/iran-has-provided-iraq-with-defense-products/",
        {"November 15, 2020 - 18:2": "Tuesday, November 17, 2020",
         "TEHRAN – Chief of Staff": "TEHRAN (Nov. 15) – Chief of Staff",
         "He also took a jab at some regional countries": None}),
    "mirror-001-general-iranien-rencontre-chef-etat-major-irakien": (
        "001-taghizadeh-rencontre-al-ghanmi-bagdad", datetime(2019, 2, 28, 10, 0, tzinfo=UTC),
        "https://www.regionalwire-digest.com/fr/2019/02/28/iran-irak-rencontre-militaire-bagdad/",
        {"Le général de brigade Qassem Taghizadeh, a eu":
         "BAGDAD (IRNA) — Le général de brigade Qassem Taghizadeh, a eu",
         "Cette force de mobilisation populaire contrôle la voie internationale": None}),
}

# Page chrome: everything outside the article text. Found in the HTML itself, so the test follows
# the fixtures and not a hand-kept list.
CHROME_TAGS = ("header", "nav", "footer", "aside", "form", "script", "style", "noscript")
CHROME_CLASS = re.compile(r"share|related|tags|comment|cookie|\bad\b|newsletter|ticker|attribution|sharedaddy|"
                          r"widget|masthead|site-info|most-read|respond|topbar|logo")


def squash(text: str) -> str:
    return " ".join(text.split())   # trafilatura turns no-break spaces into plain ones


def body_lines(seed: str) -> list[str]:
    noise = {squash(n) for n in SEED_NOISE[seed]}
    lines = (SEEDS / seed).read_text(encoding="utf-8").splitlines()
    return [squash(ln) for ln in lines if ln.strip() and squash(ln) not in noise]


def chrome_fragments(page: Path) -> list[str]:
    tree = lxml.html.fromstring(page.read_bytes())
    fragments: set[str] = set()
    for el in tree.iter():
        if not isinstance(el.tag, str):
            continue
        if el.tag in CHROME_TAGS or CHROME_CLASS.search(el.get("class") or ""):
            fragments.update(squash(t) for t in el.itertext() if len(squash(t)) >= 2)
    title = tree.find(".//title")
    assert title is not None and title.text
    fragments.add(squash(title.text))              # the <title> with its " | Site" suffix
    return sorted(fragments)


def assert_no_chrome(text: str, page: Path) -> None:
    flat, lines = squash(text), {squash(ln) for ln in text.splitlines()}
    fragments = chrome_fragments(page)
    assert len(fragments) >= 15, "the page should carry real chrome"
    for frag in fragments:
        # Long fragments must not appear anywhere; short ones ("Iran", "TV") not as a line of their own.
        assert (frag not in flat) if len(frag) >= 12 else (frag not in lines), frag


@pytest.mark.parametrize("name", sorted(ORIGINALS))
def test_seed_page_keeps_the_article_and_drops_the_chrome(name: str) -> None:
    seed, title, published, canonical, site = ORIGINALS[name]
    page = PAGES / f"{name}.html"
    ex = extract(page.read_bytes(), url=page.resolve().as_uri(), content_type="text/html; charset=utf-8")
    flat = squash(ex.text)
    for line in body_lines(seed):
        assert line in flat, line[:80]
    assert_no_chrome(ex.text, page)
    assert ex.title == title                       # no " | PressTV" suffix
    assert ex.date == published and ex.date.tzinfo is UTC
    assert ex.canonical_url == canonical
    assert ex.sitename == site


@pytest.mark.parametrize("name", sorted(ORIGINALS))
def test_seed_page_noise_is_cleaned_out(name: str) -> None:
    seed = ORIGINALS[name][0]
    ex = extract((PAGES / f"{name}.html").read_bytes(), url=f"https://example.org/{name}")
    lines = {squash(ln) for ln in ex.text.splitlines()}
    for noise in SEED_NOISE[seed]:
        assert squash(noise) not in lines, noise


@pytest.mark.parametrize("name", sorted(MIRRORS))
def test_mirror_page_is_the_edited_copy_in_other_chrome(name: str) -> None:
    original, published, canonical, edits = MIRRORS[name]
    page = PAGES / f"{name}.html"
    ex = extract(page.read_bytes(), url=page.resolve().as_uri())
    flat = squash(ex.text)
    kept = 0
    for line in body_lines(ORIGINALS[original][0]):
        if line == ORIGINALS[original][1]:
            continue   # the headline: the mirror shows it as the page title, above the text
        expected = line
        for old, new in edits.items():
            if old in expected:
                # None: the sentence starting there was dropped (with the rest of the paragraph)
                expected = expected.replace(old, new) if new is not None else expected[:expected.index(old)].strip()
                assert new is not None or old not in flat, old
        if expected:
            assert expected in flat, expected[:80]
            kept += expected == line
    assert kept >= 5
    assert_no_chrome(ex.text, page)
    assert ex.title == ORIGINALS[original][1]       # " - Regional Wire Digest" stripped from og:title
    assert ex.date == published > ORIGINALS[original][2]
    assert ex.canonical_url == canonical
    assert ex.sitename == "Regional Wire Digest"


# ---- small pages: dates, titles, failures ------------------------------------------------------

def page(head: str, body: str = "<p>" + "The two ministers met in Baghdad on Sunday to discuss defense. " * 4
         + "</p>") -> str:
    return f"<!DOCTYPE html><html><head>{head}</head><body><article>{body}</article></body></html>"


def test_time_of_day_comes_from_article_published_time_in_utc() -> None:
    ex = extract(page('<meta content="2020-11-15T18:24:00+03:30" property="article:published_time">'),
                 url="https://example.org/a")
    assert ex.date == datetime(2020, 11, 15, 14, 54, tzinfo=UTC)


def test_naive_times_are_taken_as_utc_and_dates_alone_are_midnight() -> None:
    naive = extract(page('<meta property="article:published_time" content="2021-03-02T10:00:00">'),
                    url="https://example.org/a")
    assert naive.date == datetime(2021, 3, 2, 10, 0, tzinfo=UTC)
    day_only = extract(page('<meta name="date" content="2021-03-02">'), url="https://example.org/b")
    assert day_only.date == datetime(2021, 3, 2, tzinfo=UTC)


def test_json_ld_date_published_gives_the_time() -> None:
    ld = '<script type="application/ld+json">{"@type": "NewsArticle", "datePublished": "2019-02-26T14:45:00Z"}</script>'
    assert extract(page(ld), url="https://example.org/a").date == datetime(2019, 2, 26, 14, 45, tzinfo=UTC)


def test_no_date_anywhere_is_none() -> None:
    assert extract(page("<title>Talks</title>"), url="https://example.org/a").date is None


@pytest.mark.parametrize(("title", "site", "expected"), [
    ("Talks in Baghdad | Example News", "Example News", "Talks in Baghdad"),
    ("Talks in Baghdad - Example News", "Example News", "Talks in Baghdad"),
    ("Example News — Talks in Baghdad", "example news", "Talks in Baghdad"),
    ("Iran - Iraq talks resume", "Example News", "Iran - Iraq talks resume"),   # not the site: kept
])
def test_title_loses_the_site_suffix_only(title: str, site: str, expected: str) -> None:
    head = f'<title>{title}</title><meta property="og:title" content="{title}">' \
           f'<meta property="og:site_name" content="{site}">'
    assert extract(page(head), url="https://example.org/a").title == expected


@pytest.mark.parametrize("html", [
    b"", b"<html><body></body></html>", b"<html><body><nav><a href='/'>Home</a></nav></body></html>",
    b"\x00\x01\x02 binary junk \xff\xfe", "<html><body><p>Share this article</p></body></html>",
])
def test_nothing_usable_raises_one_line_extraction_error(html: bytes | str) -> None:
    with pytest.raises(ExtractionError) as info:
        extract(html, url="https://example.org/empty")
    assert "\n" not in str(info.value)


# ---- decoding -------------------------------------------------------------------------------

FRENCH = ("Le général de brigade Qassem Taghizadeh a eu une rencontre avec le général de division Othman "
          "al-Ghanmi, le chef d’état-major des Forces armées irakiennes, à Bagdad. Les deux délégations ont "
          "évoqué la coopération militaire et la sécurité régionale.")
ARABIC = ("وصل وزير الدفاع العراقي إلى طهران يوم السبت لإجراء محادثات مع نظيره الإيراني حول التعاون العسكري بين "
          "البلدين وتعزيز الأمن في المنطقة.")
CHINESE = "伊拉克国防部长周六抵达德黑兰，与伊朗国防部长举行会谈，双方讨论了两国在军事和安全领域的合作。"
RUSSIAN = "Министр обороны Ирака прибыл в Тегеран для переговоров со своим иранским коллегой о военном сотрудничестве."

@pytest.mark.parametrize(("raw", "ctype", "expected"), [
    ("Téhéran, 15 novembre".encode("cp1252"), "text/html; charset=ISO-8859-1", "Téhéran, 15 novembre"),
    ("“Téhéran”".encode("cp1252"), "text/html; charset=iso-8859-1", "“Téhéran”"),   # latin-1 label, cp1252 bytes
    ("طهران".encode("cp1256"), "text/html; charset=windows-1256", "طهران"),
    ("<meta charset='gb2312'>新华网".encode("gb2312"), None, "<meta charset='gb2312'>新华网"),
    ("<meta http-equiv='Content-Type' content='text/html; charset=iso-8859-2'>Ziemniaki źle".encode("iso-8859-2"),
     None, "<meta http-equiv='Content-Type' content='text/html; charset=iso-8859-2'>Ziemniaki źle"),
    ("\ufeffbonjour".encode(), "text/html; charset=latin-1", "bonjour"),               # BOM wins
    ("\ufeffسلام".encode("utf-16-le"), None, "سلام"),
    (FRENCH.encode() + b" \xff", "text/html; charset=utf-8", FRENCH + " \ufffd"),     # one stray byte
    ("Téhéran".encode(), "text/html; charset=ISO-8859-1", "Téhéran"),                  # UTF-8 mislabelled
    # No usable label: charset_normalizer decides.
    (ARABIC.encode("cp1256"), "text/html; charset=nonsense-8", ARABIC),
    (CHINESE.encode("gb2312"), None, CHINESE),
    (RUSSIAN.encode("cp1251"), "text/html", RUSSIAN),
])
def test_decoding(raw: bytes, ctype: str | None, expected: str) -> None:
    assert decode_html(raw, ctype) == expected


def test_http_charset_beats_meta_charset() -> None:
    raw = "<meta charset='utf-8'><p>Ça va</p>".encode("cp1252")
    assert decode_html(raw, "text/html; charset=windows-1252") == "<meta charset='utf-8'><p>Ça va</p>"
