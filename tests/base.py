"""The people of the tests: named personas on real areas, each with the reason it exists.

Areas are the real ones of Kota Palangka Raya (62.71) and Kabupaten Mimika (94.04), imported
from the shipped dataset; TPS are made here.
"""

import functools
from dataclasses import dataclass

from coklit.figures import ensure_tps
from kpu.models import Area, Role, User
from kpu.wilayah import DEFAULT_SOURCE, read_areas

PASSWORD = "persona-password"


@dataclass
class World:
    # KPU Palangka Raya sees its whole city.
    kpu: User
    # PPK Pahandut sees the kecamatan Pahandut (62.71.01) and returns its villages' plenos.
    ppk: User
    # PPS Pahandut sees Kelurahan Pahandut (62.71.01.1001) only.
    pps: User
    # Pantarlih of TPS 001 Pahandut syncs that TPS only.
    pantarlih: User
    # Pantarlih of TPS 002 Pahandut: the same village, another TPS.
    pantarlih2: User
    # PPS Panarung (62.71.01.1002) is the outsider next door: same kecamatan, another village.
    pps_panarung: User
    # PPK Bukit Batu (62.71.02) is another kecamatan of the same city.
    ppk_bukit_batu: User
    # KPU Mimika (94.04) is another regency, in Papua (WIT, distrik and kampung).
    kpu_mimika: User
    # Panwaslu Kelurahan Pahandut (PKD): the supervisor of Pahandut, reads the village and its
    # TPS only, NIK masked, and files saran perbaikan there; acts on nothing else.
    pkd: User
    # Bawaslu Kota Palangka Raya: the supervisor of the whole city, read only.
    bawaslu: User
    regency: Area
    district: Area
    village: Area
    tps1: Area
    tps2: Area
    village_panarung: Area
    tps_panarung: Area
    district_bukit_batu: Area
    tps_bukit_batu: Area
    tps_mimika: Area


def _user(username: str, role: Role, area: Area) -> User:
    user = User(username=username, role=role, area=area, first_name=username.title())
    user.set_password(PASSWORD)
    user.save()
    return user


@functools.cache
def _dataset(prefix: str) -> tuple[tuple[str, str | None, int, str], ...]:
    """The areas of `prefix` (and its ancestors) as read from the shipped dataset, parsed once
    per test session: villages.csv is 2.7 MB, and parsing it for every test was most of the
    suite's time. tests/kpu/test_wilayah.py covers the importer itself."""
    return tuple((a.code, a.parent_id, a.level, a.name) for a in read_areas(DEFAULT_SOURCE, prefix))


def import_areas(*prefixes: str) -> None:
    """What `import_wilayah(prefix=...)` leaves in an empty table, from the parsed cache."""
    rows = {row[0]: row for prefix in prefixes for row in _dataset(prefix)}
    existing = set(Area.objects.filter(code__in=rows).values_list("code", flat=True))
    Area.objects.bulk_create(
        [
            Area(code=code, parent_id=parent, level=level, name=name)
            for code, parent, level, name in rows.values()
            if code not in existing
        ]
    )


def build_world() -> World:
    import_areas("62.71", "94.04")
    get = lambda code: Area.objects.get(code=code)  # noqa: E731
    village = get("62.71.01.1001")
    tps = ensure_tps(village, [1, 2])
    panarung = get("62.71.01.1002")
    bukit_batu = get("62.71.02")
    return World(
        kpu=_user("kpu", Role.KPU, get("62.71")),
        ppk=_user("ppk", Role.PPK, get("62.71.01")),
        pps=_user("pps", Role.PPS, village),
        pantarlih=_user("pantarlih", Role.PANTARLIH, tps[1]),
        pantarlih2=_user("pantarlih2", Role.PANTARLIH, tps[2]),
        pps_panarung=_user("pps_panarung", Role.PPS, panarung),
        ppk_bukit_batu=_user("ppk_bukit_batu", Role.PPK, bukit_batu),
        kpu_mimika=_user("kpu_mimika", Role.KPU, get("94.04")),
        pkd=_user("pkd", Role.BAWASLU, village),
        bawaslu=_user("bawaslu", Role.BAWASLU, get("62.71")),
        regency=get("62.71"),
        district=get("62.71.01"),
        village=village,
        tps1=tps[1],
        tps2=tps[2],
        village_panarung=panarung,
        tps_panarung=ensure_tps(panarung, [1])[1],
        district_bukit_batu=bukit_batu,
        tps_bukit_batu=ensure_tps(get("62.71.02.1001"), [1])[1],
        tps_mimika=ensure_tps(get("94.04.01.1001"), [1])[1],
    )
