"""What each voter adds to the figures of the TPS, and keeping those figures exact.

Every figure is defined once, in `contributions`: what one voter adds to which TPS. A change to
voters applies `after - before` of their contributions to the TPS rows, in the same transaction;
`recount` sums contributions over all voters, so kept and recounted figures agree by construction
(and `check_figures` proves it on real data).
"""

from collections import Counter
from collections.abc import Iterable

from django.db import connections, router, transaction
from django.db.models import Count, F, Sum
from django.utils import timezone

from coklit.models import FIGURE_FIELDS, AreaVersion, DailyProgress, TpsFigures, Voter
from kpu.lookups import code_within
from kpu.models import Area

# The voter fields the contributions read; a selector loading voters for a change needs these.
CONTRIBUTION_FIELDS = (
    "tps_id",
    "dps_tps_id",
    "origin",
    "status",
    "tms_reason",
    "jenis_kelamin",
    "verification",
    "conflict",
    "flags",
    "disabilitas",
    "ktp_el",
)

Delta = dict[str, Counter]  # TPS code -> figure name -> change


def dps_tps_of(v: Voter) -> str | None:
    """The TPS whose DPS lists this voter, if any (SPEC 4).

    MS voters (with or without ubah) stay in their TPS; a new voter counts once verified; a TMS 8
    voter counts, once verified, in the TPS they were moved to. Every other TMS is out.
    """
    V = Voter
    if v.status in (V.Status.MS, V.Status.UBAH):
        return v.tps_id
    if v.status == V.Status.BARU and v.verification == V.Verification.APPROVED:
        return v.tps_id
    if (
        v.status == V.Status.TMS
        and v.tms_reason == 8
        and v.dps_tps_id
        and v.verification == V.Verification.APPROVED
    ):
        return v.dps_tps_id
    return None


def contributions(v: Voter) -> Delta:
    """The figures one voter adds to, per TPS code."""
    V = Voter
    home: Counter = Counter()
    if v.origin == V.Origin.LIST:
        home["target_l" if v.jenis_kelamin == "L" else "target_p"] += 1
        if v.status != V.Status.BELUM:
            home["done"] += 1
        if v.status == V.Status.MS:
            home["ms"] += 1
        elif v.status == V.Status.UBAH:
            home["ubah"] += 1
        elif v.status == V.Status.TMS:
            home[f"tms_{v.tms_reason}"] += 1
    elif v.verification != V.Verification.REJECTED:
        home["baru"] += 1
    if v.verification == V.Verification.PENDING:
        home["pending"] += 1
    if v.conflict:
        home["conflicts"] += 1
    if v.flags:
        home["flagged"] += 1
    out: Delta = {v.tps_id: home}
    dps = dps_tps_of(v)
    if dps:
        into = out.setdefault(dps, Counter())
        into["dps_l" if v.jenis_kelamin == "L" else "dps_p"] += 1
        for d in v.disabilitas.split(","):
            if d:
                into[f"dis_{d}"] += 1
        if not v.ktp_el:
            into["no_ktp_el"] += 1
    return out


def add_into(total: Delta, part: Delta, sign: int = 1) -> None:
    for code, counts in part.items():
        bucket = total.setdefault(code, Counter())
        for name, n in counts.items():
            bucket[name] += sign * n


def delta(before: Iterable[Voter], after: Iterable[Voter]) -> Delta:
    """Figures change from a set of voters as they were to the same voters as they are now."""
    total: Delta = {}
    for v in before:
        add_into(total, contributions(v), -1)
    for v in after:
        add_into(total, contributions(v), +1)
    return total


def apply(changes: Delta, *, synced: dict[str, str] | None = None) -> None:
    """Add `changes` to the TPS rows: one UPDATE per TPS, however many voters changed.

    `synced` maps TPS codes to the app version of a device that just synced them.
    Must run inside the transaction that changed the voters.
    """
    assert transaction.get_connection().in_atomic_block, "figures change with their voters"
    now = timezone.now()
    codes = sorted(set(changes) | set(synced or {}))  # a stable order avoids deadlocks
    changed = []
    for code in codes:
        counts = {k: n for k, n in changes.get(code, {}).items() if n}
        update = {k: F(k) + n for k, n in counts.items()}
        if synced and code in synced:
            update.update(last_sync_at=now, app_version=synced[code][:40])
        if not update:
            continue
        update.update(version=F("version") + 1, updated_at=now)
        TpsFigures.objects.filter(tps_id=code).update(**update)
        changed.append(code)
    bump_versions(changed)


def bump_versions(tps_codes: Iterable[str]) -> None:
    """Count a change of these TPS's figures in the version of their village, district and
    regency (`AreaVersion`), in the caller's transaction: one statement, rows in code order."""
    codes = sorted({".".join(c.split(".")[:k]) for c in tps_codes for k in (2, 3, 4)})
    if not codes:
        return
    table = AreaVersion._meta.db_table
    values = ", ".join(["(%s, 1)"] * len(codes))
    with connections[router.db_for_write(AreaVersion)].cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (code, version) VALUES {values} "
            f"ON CONFLICT (code) DO UPDATE SET version = {table}.version + 1",
            codes,
        )


def record_daily(done_by_day: dict[tuple[str, object], int]) -> None:
    """Add done-results per (TPS code, day) to the daily progress of the TPS and its ancestors."""
    per_area: Counter = Counter()
    for (code, day), n in done_by_day.items():
        parts = code.split(".")
        for i in range(2, len(parts) + 1):
            per_area[(".".join(parts[:i]), day)] += n
    for (code, day), n in sorted(per_area.items(), key=lambda kv: (kv[0][0], str(kv[0][1]))):
        if not n:
            continue
        row, created = DailyProgress.objects.get_or_create(
            area_code=code, day=day, defaults={"done": n}
        )
        if not created:
            DailyProgress.objects.filter(pk=row.pk).update(done=F("done") + n)


def recount(*, code: str) -> dict[str, Counter]:
    """Figures of every TPS within `code`, counted from voter rows (slow; for checks)."""
    total: Delta = {}
    voters = Voter.objects.filter(tps__code__within=code).only(*CONTRIBUTION_FIELDS)
    moved_in = (
        Voter.objects.filter(dps_tps__code__within=code)
        .exclude(tps__code__within=code)
        .only(*CONTRIBUTION_FIELDS)
    )
    for v in voters.iterator(chunk_size=5000):
        add_into(total, contributions(v))
    for v in moved_in.iterator(chunk_size=5000):
        add_into(total, {k: c for k, c in contributions(v).items() if code_within(k, code)})
    return {k: c for k, c in total.items() if code_within(k, code)}


def mismatches(*, code: str) -> dict[str, dict[str, tuple[int, int]]]:
    """TPS whose kept figures differ from a recount: {tps: {figure: (kept, counted)}}."""
    counted = recount(code=code)
    rows = TpsFigures.objects.filter(tps__code__within=code).values("tps_id", *FIGURE_FIELDS)
    out = {}
    for row in rows:
        tps = row.pop("tps_id")
        c = counted.get(tps, Counter())
        diff = {
            k: (row[k], c.get(k, 0))
            for k in FIGURE_FIELDS
            if k != "results" and row[k] != c.get(k, 0)
        }
        if diff:
            out[tps] = diff
    return out


def ensure_tps(village: Area, numbers: Iterable[int]) -> dict[int, Area]:
    """The village's TPS with these numbers, created (with their figures row) where missing."""
    wanted = sorted(set(numbers))
    codes = {n: f"{village.code}.{n:03d}" for n in wanted}
    have = {a.code: a for a in Area.objects.filter(code__in=codes.values())}
    new = [
        Area(code=c, parent=village, level=Area.Level.TPS, name=f"TPS {n:03d}")
        for n, c in codes.items()
        if c not in have
    ]
    if new:
        Area.objects.bulk_create(new)
        parts = village.code.split(".")
        TpsFigures.objects.bulk_create(
            [
                TpsFigures(
                    tps=a,
                    village_code=village.code,
                    district_code=".".join(parts[:3]),
                    regency_code=".".join(parts[:2]),
                )
                for a in new
            ]
        )
        bump_versions(a.code for a in new)
        have.update({a.code: a for a in new})
    return {n: have[c] for n, c in codes.items()}


def area_totals(*, area: Area) -> dict[str, int]:
    """The summed figures of an area (any level) from its TPS rows."""
    qs = TpsFigures.objects.all()
    if area.level == Area.Level.TPS:
        qs = qs.filter(tps_id=area.code)
    elif area.level == Area.Level.VILLAGE:
        qs = qs.filter(village_code=area.code)
    elif area.level == Area.Level.DISTRICT:
        qs = qs.filter(district_code=area.code)
    elif area.level == Area.Level.REGENCY:
        qs = qs.filter(regency_code=area.code)
    else:
        qs = qs.filter(regency_code__below=area.code)
    sums = qs.aggregate(tps_count=Count("tps_id"), **{k: Sum(k) for k in FIGURE_FIELDS})
    return {k: v or 0 for k, v in sums.items()}
