"""Draw the unlabelled development set for scoring the country and topic tagger.

Reads ``news-2023.jsonl.gz`` from the shared data folder (default ``<repo>/../shared/data``)
and draws a reproducible random sample of 150 English and 110 Polish articles (``language``
starting with ``en`` / ``pl``; records with an empty title are skipped). Sampling is one pass
of reservoir sampling (Algorithm R) per language, driven by a single ``random.Random(2023)``,
so the same archive always gives the same sample.

Writes ``tests/data/devset-unlabelled.jsonl``: one JSON object per line with the fields
``id`` (1..N), ``language`` (``en`` / ``pl``), ``title``, ``description`` and ``link``.
English articles come first, then Polish; within a language, articles keep archive order.
The articles are then labelled by hand into ``tests/data/devset.jsonl`` (see
``tests/data/DEVSET.md``).

Run from anywhere (standard library only):

    python scripts/draw_devset.py [--data DIR] [--out FILE] [--seed N]
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SEED = 2023
QUOTAS = {"en": 150, "pl": 110}
ARCHIVE_NAME = "news-2023.jsonl.gz"

Candidate = tuple[int, dict[str, str]]  # (line number in the archive, record fields kept)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data",
        type=Path,
        default=REPO.parent / "shared" / "data",
        help=f"folder holding {ARCHIVE_NAME}",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=REPO / "tests" / "data" / "devset-unlabelled.jsonl",
        help="JSON Lines file to write",
    )
    parser.add_argument("--seed", type=int, default=SEED, help="random seed (default %(default)s)")
    for lang, quota in QUOTAS.items():
        parser.add_argument(f"--{lang}", type=int, default=quota, help=f"{lang} articles (default %(default)s)")
    parser.add_argument("--first-id", type=int, default=1, help="id of the first article written")
    parser.add_argument("--exclude", type=Path, action="append", default=[],
                        help="JSON Lines file whose articles (same link or same title) are never drawn; repeatable")
    return parser.parse_args(argv)


def _keys(record: dict[str, object]) -> set[str]:
    """An article's link and lower-cased title (the empty ones left out): either marks it as drawn."""
    return {str(record.get("link") or "").strip(), str(record.get("title") or "").strip().lower()} - {""}


def drawn_keys(paths: list[Path]) -> set[str]:
    """Links and lower-cased titles of articles already drawn into other files."""
    keys: set[str] = set()
    for path in paths:
        for line in path.open(encoding="utf-8"):
            if line.strip():
                keys.update(_keys(json.loads(line)))
    return keys


def language_of(record: dict[str, object]) -> str | None:
    """Return 'en' or 'pl' for a record in one of the sampled languages, else None."""
    code = str(record.get("language") or "").strip().lower()
    for prefix in QUOTAS:
        if code.startswith(prefix):
            return prefix
    return None


def draw(path: Path, rng: random.Random, quotas: dict[str, int],
         exclude: set[str] | frozenset[str] = frozenset()) -> dict[str, list[Candidate]]:
    """Reservoir-sample each language's quota from the archive in one pass, skipping `exclude`d articles."""
    reservoirs: dict[str, list[Candidate]] = {lang: [] for lang in QUOTAS}
    seen = dict.fromkeys(QUOTAS, 0)
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            record = json.loads(line)
            lang = language_of(record)
            title = str(record.get("title") or "").strip()
            if lang is None or not title or _keys(record) & exclude:
                continue
            kept = {
                "title": title,
                "description": str(record.get("description") or "").strip(),
                "link": str(record.get("link") or "").strip(),
            }
            seen[lang] += 1
            reservoir, quota = reservoirs[lang], quotas[lang]
            if len(reservoir) < quota:
                reservoir.append((number, kept))
            else:
                slot = rng.randrange(seen[lang])
                if slot < quota:
                    reservoir[slot] = (number, kept)
    for lang, quota in quotas.items():
        if len(reservoirs[lang]) < quota:
            raise SystemExit(f"only {len(reservoirs[lang])} '{lang}' articles in {path}, need {quota}")
    return reservoirs


def write_devset(reservoirs: dict[str, list[Candidate]], target: Path, first_id: int = 1) -> int:
    """Write the sample (languages in QUOTAS order, archive order within) and return its size."""
    target.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with target.open("w", encoding="utf-8") as out:
        for lang in QUOTAS:
            for _, kept in sorted(reservoirs[lang], key=lambda candidate: candidate[0]):
                count += 1
                row = {"id": first_id + count - 1, "language": lang, **kept}
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
    return count


def main(argv: list[str] | None = None) -> int:
    """Draw the sample and print what was written."""
    args = parse_args(argv)
    quotas = {lang: getattr(args, lang) for lang in QUOTAS}
    reservoirs = draw(args.data / ARCHIVE_NAME, random.Random(args.seed), quotas, drawn_keys(args.exclude))
    count = write_devset(reservoirs, args.out, args.first_id)
    sizes = ", ".join(f"{len(reservoirs[lang])} {lang}" for lang in QUOTAS)
    print(f"{count} articles ({sizes}) -> {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
