"""Reading the shipped national dataset of areas (data/wilayah, idn-area-data, ODbL)."""

import csv
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.db import transaction

from kpu.lookups import code_within
from kpu.models import Area

DEFAULT_SOURCE = Path(settings.BASE_DIR) / "data" / "wilayah"
# KPU's spelling where the dataset's differs (SPEC 3): applied over any source, so every page
# and printed document shows the name the commission itself writes.
DISPLAY_NAMES = Path(settings.BASE_DIR) / "data" / "display_names.csv"
FILES = [
    ("provinces.csv", Area.Level.PROVINCE, None),
    ("regencies.csv", Area.Level.REGENCY, "province_code"),
    ("districts.csv", Area.Level.DISTRICT, "regency_code"),
    ("villages.csv", Area.Level.VILLAGE, "district_code"),
]


class WilayahError(Exception):
    pass


def _rows(path: Path) -> Iterator[dict[str, str]]:
    if not path.exists():
        raise WilayahError(f"{path}: file not found")
    with path.open(newline="", encoding="utf-8") as fh:
        yield from csv.DictReader(fh)


def display_names(path: Path = DISPLAY_NAMES) -> dict[str, str]:
    """Area code -> the display name KPU uses, from the shipped `data/display_names.csv`."""
    if not path.exists():
        return {}
    return {row["code"].strip(): row["name"].strip() for row in _rows(path) if row.get("name")}


def read_areas(source: Path, prefix: str | None) -> list[Area]:
    """All areas of the dataset, or those within `prefix` plus its ancestors, under their
    display names."""
    names = display_names()
    wanted = None
    if prefix:
        parts = prefix.split(".")
        ancestors = {".".join(parts[:i]) for i in range(1, len(parts))}
        wanted = lambda code: code in ancestors or code_within(code, prefix)  # noqa: E731
    areas = []
    for filename, level, parent_col in FILES:
        for row in _rows(source / filename):
            code = row["code"].strip()
            if wanted and not wanted(code):
                continue
            parent = row[parent_col].strip() if parent_col else None
            name = names.get(code) or row["name"].strip()
            areas.append(Area(code=code, parent_id=parent, level=level, name=name))
    return areas


@transaction.atomic
def import_wilayah(*, source: Path = DEFAULT_SOURCE, prefix: str | None = None) -> tuple[int, int]:
    """Create or update areas from the dataset. Idempotent. Returns (created, updated)."""
    areas = read_areas(source, prefix)
    if prefix and not any(a.code == prefix for a in areas):
        raise WilayahError(f"{prefix}: no such area code in {source}")
    existing = dict(Area.objects.exclude(level=Area.Level.TPS).values_list("code", "name"))
    new = [a for a in areas if a.code not in existing]
    changed = [a for a in areas if a.code in existing and existing[a.code] != a.name]
    # Parents come before children in FILES order, so one ordered bulk insert keeps FKs valid.
    Area.objects.bulk_create(new, batch_size=5000)
    Area.objects.bulk_update(changed, ["name"], batch_size=5000)
    return len(new), len(changed)
