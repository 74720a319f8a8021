"""The watch definition: the shipped YAML loads, covers the officials the issue asks for, and every
kind of mistake an analyst can make is reported with file, line and field."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml

from newswatch.config import LOADER as CONFIG_LOADER
from newswatch.core.meetings import Watch, load_watch
from newswatch.core.meetings.text import normalize
from newswatch.core.meetings.watch import WATCH_DIR
from newswatch.core.meetings.yamlnodes import LOADER
from newswatch.errors import ConfigError


@pytest.fixture(scope="module")
def watch() -> Watch:
    return load_watch()


def _names_of(watch: Watch, text: str) -> list[str]:
    """Official ids the matcher finds in a text (strong names only)."""
    return [p[1] for h in watch.matcher.finditer(normalize(text)) for p in h.payloads
            if p[0] == "off" and p[2] == "s"]


def test_default_watch_loads_from_the_package_folder(watch: Watch) -> None:
    assert Path(watch.directory) == WATCH_DIR
    assert len(watch.officials) >= 50
    summary = watch.summary()
    assert "officials" in summary and "terms" in summary
    print(f"\nwatch: {summary}")


def _nodes(node: yaml.Node, out: list[tuple[object, ...]]) -> list[tuple[object, ...]]:
    """Every node of a tree, depth first: kind, tag, value of scalars and where it starts."""
    mark = node.start_mark
    out.append((type(node).__name__, node.tag, node.value if isinstance(node, yaml.ScalarNode) else None,
                mark.line, mark.column))
    if not isinstance(node, yaml.ScalarNode):
        for child in node.value:
            for sub in child if isinstance(child, tuple) else (child,):
                _nodes(sub, out)
    return out


@pytest.mark.parametrize("path", [*sorted(WATCH_DIR.glob("*.yaml")), Path(__file__).parents[2] / "sources.yaml"],
                         ids=lambda p: p.name)
def test_fast_yaml_loader_gives_the_pure_python_nodes(path: Path) -> None:
    """The watch and sources.yaml are composed by libyaml when PyYAML has it: the nodes (and so every
    line an error names) must be the pure-Python parser's."""
    text = path.read_text(encoding="utf-8")
    want = _nodes(yaml.compose(text, Loader=yaml.SafeLoader), [])
    assert len(want) > 20
    for loader in (LOADER, CONFIG_LOADER):
        assert _nodes(yaml.compose(text, Loader=loader), []) == want


# Offices the issue requires for every day since 2014, per country. Known vacancies are listed,
# so the test fails if a gap appears anywhere else.
REQUIRED = {
    ("IR", "defense_minister"): [], ("IR", "chief_of_staff"): [], ("IR", "army_commander"): [],
    ("IR", "irgc_commander"): [], ("IR", "security_council_secretary"): [],
    ("IR", "quds_force_commander"): [],
    # Parliament dismissed al-Obeidi on 25 Aug 2016; al-Hiyali was approved on 30 Jan 2017.
    ("IQ", "defense_minister"): [(date(2016, 8, 26), date(2017, 1, 29))],
    ("IQ", "chief_of_staff"): [], ("IQ", "national_security_adviser"): [],
    ("IQ", "pmf_chairman"): [(date(2014, 1, 1), date(2014, 6, 14))],   # the PMF was founded in June 2014
}


@pytest.mark.parametrize(("country", "kind"), sorted(REQUIRED))
def test_every_required_office_has_a_holder_since_2014(watch: Watch, country: str, kind: str) -> None:
    gaps = REQUIRED[(country, kind)]
    day, missing = date(2014, 1, 1), []
    while day <= date(2025, 7, 1):
        if not any(a <= day <= b for a, b in gaps) and not watch.holders(kind, country, day):
            missing.append(day)
        day += timedelta(days=7)
    assert not missing, f"{country} {kind}: no holder on {missing[:3]}"


@pytest.mark.parametrize(("text", "official"), [
    ("Bagheri", "bagheri"), ("Baqeri", "bagheri"), ("Bakiri", "bagheri"), ("باقري", "bagheri"),
    ("باقری", "bagheri"), ("Shamkhani", "shamkhani"), ("Chamkhani", "shamkhani"), ("Shamjani", "shamkhani"),
    ("Shamhani", "shamkhani"), ("شمخانی", "shamkhani"), ("شمخاني", "shamkhani"), ("Inad", "inad"),
    ("Anad", "inad"), ("Enad", "inad"), ("Inad Saadoun", "inad"), ("جمعة عناد", "inad"),
    ("جمعه عناد", "inad"), ("al-Ghanmi", "ghanmi"), ("Al Ghanimi", "ghanmi"), ("الغانمي", "ghanmi"),
    ("Qasim al-Araji", "araji"), ("قاسم الأعرجي", "araji"), ("قاسم الاعرجی", "araji"),
    ("Larijani", "larijani"), ("Laridschani", "larijani"), ("لاریجانی", "larijani"),
    ("Bagheri Kani", "bagheri_kani"),   # the longer name wins over "Bagheri"
])
def test_name_variants_identify_the_official(watch: Watch, text: str, official: str) -> None:
    assert _names_of(watch, f"talks with {text} today") == [official]


def test_short_shared_names_are_weak(watch: Watch) -> None:
    # Ambiguous surnames never count as strong names; they need a title, a role or a full name.
    for text in ("Mousavi", "al-Abbasi", "Khatami", "موسوی", "العباسي", "عناد"):
        assert _names_of(watch, text) == [], text


def test_cities_have_one_english_name(watch: Watch) -> None:
    for spelling in ("Tehran", "Téhéran", "Teheran", "Teherán", "طهران", "تهران", "بطهران"):
        hits = [p for h in watch.matcher.finditer(normalize(spelling)) for p in h.payloads if p[0] == "place"]
        assert hits == [("place", "Tehran", "")], spelling


def test_negative_cues_of_the_issue_are_listed(watch: Watch) -> None:
    for phrase in ("phone call", "telephone", "اتصال هاتفي", "تماس تلفنی", "Telefonat", "llamada",
                   "entretien téléphonique", "visioconférence"):
        cues = {p[1] for h in watch.matcher.finditer(normalize(phrase)) for p in h.payloads if p[0] == "cue"}
        assert "negative" in cues, phrase


# ------------------------------------------------------------------------------- validation errors

@pytest.fixture
def watch_copy(tmp_path: Path) -> Path:
    dst = tmp_path / "watch"
    shutil.copytree(WATCH_DIR, dst)
    return dst


def _replace(path: Path, old: str, new: str) -> int:
    """Replace the first `old` in a file; return its 1-based line number."""
    text = path.read_text(encoding="utf-8")
    pos = text.index(old)
    path.write_text(text[:pos] + new + text[pos + len(old):], encoding="utf-8")
    return text.count("\n", 0, pos) + 1


def _error(folder: Path) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_watch(folder)
    return info.value


def test_unknown_key_names_file_line_and_field(watch_copy: Path) -> None:
    f = watch_copy / "officials.yaml"
    line = _replace(f, "    name: Mohammad Bagheri\n", "    name: Mohammad Bagheri\n    rank: general\n") + 1
    err = _error(watch_copy)
    assert err.path == str(f) and err.line == line and err.field and err.field.endswith(".rank")
    assert "unknown key" in str(err) and f"{f}:{line}" in str(err)


def test_bad_date_is_reported(watch_copy: Path) -> None:
    f = watch_copy / "officials.yaml"
    line = _replace(f, "from: 2016-06-28, to: 2025-06-13", "from: 2016-06-31, to: 2025-06-13")
    err = _error(watch_copy)
    assert err.line == line and err.field and err.field.endswith(".from") and "YYYY-MM-DD" in str(err)


def test_bad_type_is_reported(watch_copy: Path) -> None:
    f = watch_copy / "roles.yaml"
    line = _replace(f, "    defense: true\n", "    defense: sometimes\n")
    err = _error(watch_copy)
    assert err.path == str(f) and err.line == line and err.field == "kinds.defense_minister.defense"


def test_duplicate_id_is_reported(watch_copy: Path) -> None:
    f = watch_copy / "officials.yaml"
    line = _replace(f, "  - id: hatami\n", "  - id: dehghan\n")
    err = _error(watch_copy)
    assert err.line == line and "duplicate id" in str(err) and err.field and err.field.endswith(".id")


def test_unknown_country_is_reported(watch_copy: Path) -> None:
    f = watch_copy / "places.yaml"
    line = _replace(f, "{name: Tehran, country: IR,", "{name: Tehran, country: XX,")
    err = _error(watch_copy)
    assert err.path == str(f) and err.line == line and "unknown country" in str(err)


def test_unknown_role_kind_is_reported(watch_copy: Path) -> None:
    f = watch_copy / "officials.yaml"
    line = _replace(f, "{kind: chief_of_staff, title: chief of staff of the armed forces, from: 2016",
                    "{kind: chief_of_stuff, title: chief of staff of the armed forces, from: 2016")
    err = _error(watch_copy)
    assert err.line == line and "unknown role kind" in str(err)


def test_a_strong_name_shared_by_two_officials_is_reported(watch_copy: Path) -> None:
    f = watch_copy / "officials.yaml"
    _replace(f, "names: [amir hatami, hatami,", "names: [amir hatami, bagheri,")
    # Reported where the name is listed the second time (Bagheri comes after Hatami in the file).
    text = f.read_text(encoding="utf-8")
    line = text.count("\n", 0, text.index("names: [mohammad bagheri,")) + 1
    err = _error(watch_copy)
    assert "already names 'hatami'" in str(err)
    assert err.line is not None and line <= err.line <= line + 2


def test_yaml_syntax_error_has_a_line(watch_copy: Path) -> None:
    f = watch_copy / "cues.yaml"
    line = _replace(f, "meeting:\n", "meeting: [unclosed\n")
    err = _error(watch_copy)
    assert err.path == str(f) and err.line is not None and err.line >= line


def test_unknown_and_missing_files_are_reported(watch_copy: Path) -> None:
    (watch_copy / "oficials.yaml").write_text("officials: []\n", encoding="utf-8")
    assert "unknown watch file" in str(_error(watch_copy))
    (watch_copy / "oficials.yaml").unlink()
    (watch_copy / "places.yaml").unlink()
    err = _error(watch_copy)
    assert "missing watch file" in str(err) and err.path == str(watch_copy / "places.yaml")
