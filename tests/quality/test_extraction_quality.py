"""Quality gate: extract() and detect_language() on ../shared/corpus/html against extraction_floors.yaml."""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
import yaml

from newswatch.core.extract import extract
from newswatch.core.language import detect_language
from newswatch.errors import ExtractionError
from newswatch.models import Extracted

pytestmark = pytest.mark.slow

FLOORS_FILE = Path(__file__).with_name("extraction_floors.yaml")
CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus"
# Floors may be raised, never set below these (trafilatura 2.3.1's own figures minus a margin).
MIN_FLOORS = {"with_recall": 0.92, "without_precision": 0.85, "title_match": 0.55, "date_match": 0.75,
              "language_overall": 0.97}
LANGUAGES = ("en", "fr", "de", "es", "ar")


@dataclass(frozen=True)
class Result:
    row: dict[str, object]
    meta: dict[str, object]
    extracted: Extracted | None
    error: str | None
    seconds: float


def key(text: str) -> str:
    """Titles compare on letters and digits only (quotes and dashes vary between annotators)."""
    return "".join(ch for ch in text.casefold() if ch.isalnum())


@pytest.fixture(scope="module")
def floors() -> dict[str, object]:
    data = yaml.safe_load(FLOORS_FILE.read_text(encoding="utf-8"))
    for name, minimum in MIN_FLOORS.items():
        assert float(data[name]) >= minimum, f"{name}: floor {data[name]} is below the minimum {minimum}"
    return data


@pytest.fixture(scope="module")
def results() -> list[Result]:
    """Every page of the manifest extracted once (real pages and synthetic edge cases)."""
    html = CORPUS / "html"
    if not (html / "manifest.json").is_file():
        pytest.skip("../shared/corpus is absent")
    out = []
    for row in json.loads((html / "manifest.json").read_text(encoding="utf-8")):
        path = CORPUS / row["path"]
        meta = json.loads(path.with_suffix(".meta.json").read_text(encoding="utf-8"))
        data = path.read_bytes()
        start = time.perf_counter()
        try:
            ex, err = extract(data, url=str(meta.get("url") or f"https://corpus.invalid/{row['name']}"),
                              content_type="text/html"), None
        except ExtractionError as exc:   # anything else is a bug and fails the whole gate
            ex, err = None, str(exc)
        out.append(Result(row, meta, ex, err, time.perf_counter() - start))
    return out


def test_every_page_gives_text_or_a_one_line_extraction_error(results: list[Result]) -> None:
    real = [r for r in results if r.row["kind"] == "real-page"]
    failed = [r.row["name"] for r in real if r.extracted is None]
    times = sorted(r.seconds * 1000 for r in real)
    print(f"\nextract(): {len(real)} real pages, median {statistics.median(times):.1f} ms/page, "
          f"p95 {times[int(0.95 * len(times))]:.1f} ms, max {times[-1]:.0f} ms, total {sum(times) / 1000:.1f} s; "
          f"{len(failed)} without text: {failed}")
    assert all("\n" not in (r.error or "") for r in results)
    assert len(failed) <= 0.02 * len(real)
    assert all(r.extracted.text.strip() for r in results if r.extracted is not None)


def test_with_and_without_snippets(results: list[Result], floors: dict[str, object]) -> None:
    found = wanted = left_out = unwanted = 0
    for r in results:
        expected = r.meta.get("expected")
        if r.row["source"] != "trafilatura" or not isinstance(expected, dict):
            continue
        text = r.extracted.text if r.extracted else ""
        wanted += len(expected.get("with", []))
        found += sum(snippet in text for snippet in expected.get("with", []))
        unwanted += len(expected.get("without", []))
        left_out += sum(snippet not in text for snippet in expected.get("without", []))
    with_recall, without_precision = found / wanted, left_out / unwanted
    print(f"\nwith: {found}/{wanted} = {with_recall:.4f}   without: {left_out}/{unwanted} = {without_precision:.4f}")
    assert wanted > 500 and unwanted > 500
    assert with_recall >= float(floors["with_recall"])
    assert without_precision >= float(floors["without_precision"])


def test_titles_and_dates(results: list[Result], floors: dict[str, object]) -> None:
    titles = title_ok = dates = date_ok = 0
    for r in results:
        expected = r.meta.get("expected")
        if r.row["source"] != "trafilatura" or not isinstance(expected, dict):
            continue
        ex = r.extracted
        if expected.get("title"):
            titles += 1
            title_ok += bool(ex and ex.title and key(ex.title) == key(str(expected["title"])))
        if expected.get("date"):
            dates += 1
            # ex.date is UTC: an article stamped late in the evening east of Greenwich counts as a miss.
            date_ok += bool(ex and ex.date and ex.date.date() == date.fromisoformat(str(expected["date"])[:10]))
    print(f"\ntitles: {title_ok}/{titles} = {title_ok / titles:.4f}   dates: {date_ok}/{dates} = {date_ok / dates:.4f}")
    assert title_ok / titles >= float(floors["title_match"])
    assert date_ok / dates >= float(floors["date_match"])


def test_language_accuracy_on_real_pages(results: list[Result], floors: dict[str, object]) -> None:
    per: dict[str, list[int]] = {lang: [0, 0] for lang in LANGUAGES}
    misses, seconds = [], []
    for r in results:
        lang = r.row["lang"]
        if r.row["kind"] != "real-page" or lang not in per or r.extracted is None:
            continue
        start = time.perf_counter()
        code, _ = detect_language(r.extracted.text)
        seconds.append(time.perf_counter() - start)
        per[str(lang)][0] += code == lang
        per[str(lang)][1] += 1
        if code != lang:
            misses.append((r.row["name"], lang, code))
    total_ok, total = sum(v[0] for v in per.values()), sum(v[1] for v in per.values())
    print("\nlanguage: " + ", ".join(f"{lang} {ok}/{n}" for lang, (ok, n) in per.items())
          + f"; overall {total_ok}/{total} = {total_ok / total:.4f}; "
          f"median {statistics.median(seconds) * 1000:.2f} ms/doc; misses {misses}")
    assert total_ok / total >= float(floors["language_overall"])
    language_floors = floors["language"]
    assert isinstance(language_floors, dict)
    for lang, (ok, n) in per.items():
        assert n > 0, lang
        assert ok / n >= float(language_floors[lang]), lang
