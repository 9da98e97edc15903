"""The generated gazetteer files are what scripts/build_gazetteer.py makes from CLDR and GeoNames today."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
GENERATED = REPO / "collectors" / "data" / "gazetteer" / "generated"


def _builder():
    spec = importlib.util.spec_from_file_location("build_gazetteer", REPO / "scripts" / "build_gazetteer.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("generated")
    _builder().build(out)
    return out


def test_committed_files_equal_a_fresh_generation(fresh: Path):
    committed = {p.name: p.read_bytes() for p in GENERATED.glob("*.tsv")}
    generated = {p.name: p.read_bytes() for p in fresh.glob("*.tsv")}
    assert sorted(committed) == sorted(generated)
    stale = [name for name in generated if committed[name] != generated[name]]
    assert not stale, f"run scripts/build_gazetteer.py: {stale} differ"


@pytest.mark.parametrize(("lang", "row"), [
    ("ka", "რუსეთი\tRU\tname"), ("hy", "ադրբեջան\tAZ\tname"), ("az", "rusiya\tRU\tname"),
    ("uk", "росія\tRU\tname"), ("zh", "俄罗斯\tRU\tname"), ("ja", "エカテリンブルク\tRU\tcity"),
    ("ko", "러시아\tRU\tname"), ("ar", "روسیا\tRU\tname"), ("de", "jekaterinburg\tRU\tcity"),
    ("ka", "ეკატერინბურგი\tRU\tcity"), ("he", "מוסקבה\tRU\tcapital"),
])
def test_names_and_cities_in_other_scripts(fresh: Path, lang: str, row: str):
    assert row in (fresh / f"{lang}.tsv").read_text(encoding="utf-8").splitlines()


def test_organisations_and_regions_are_not_countries(fresh: Path):
    codes = {line.split("\t")[1] for line in (fresh / "fr.tsv").read_text(encoding="utf-8").splitlines()[2:]}
    assert not codes & {"EU", "UN", "EZ", "001", "150"}
