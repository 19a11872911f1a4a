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

from coklit.models import (
    FIGURE_FIELDS,
    SEXES,
    TMS_REASONS,
    AreaVersion,
    DailyProgress,
    TpsFigures,
    Voter,
)
from kpu.lookups import code_within
from kpu.models import Area

# The TpsFigures column that holds an area's own code, per level, and the one that holds its
# children's: every sum of figures over an area (dashboard, API, recaps) reads these two maps.
OWN_COLUMN = {
    Area.Level.REGENCY: "regency_code",
    Area.Level.DISTRICT: "district_code",
    Area.Level.VILLAGE: "village_code",
    Area.Level.TPS: "tps_id",
}
CHILD_COLUMN = {
    Area.Level.REGENCY: "district_code",
    Area.Level.DISTRICT: "village_code",
    Area.Level.VILLAGE: "tps_id",
}
# The official TMS codes of the coklit forms; 9 (lainnya) is listed apart (SPEC 4).
FORM_TMS_REASONS = tuple(r for r in TMS_REASONS if r != 9)


def percent(done: int, target: int) -> float:
    """Completion in percent, rounded *down* to one decimal: 99.96% is 99.9%, never 100%."""
    if target <= 0:
        return 0.0
    return (done * 1000 // target) / 10


def derive(figs: dict) -> dict:
    """Every figure of an area from its summed counters, derived ones included: the one home of
    what a derived figure means, for the dashboard, the API, the recaps and their templates.

    Coklit progress (results as recorded): `target` (Model A), `done`, `percent`, `ms`, `ubah`,
    `tms` (all reasons), `baru`. Recap (verified only), for each sex `l`, `p` and `lp`:
    `model_a_*`, `tms_*` (1-9; `tms8_*` at the old TPS), `baru_*` (new voters and `pindah_*`, the
    voters moved in by TMS 8), `ubah_*`, `dphp_*` (the list of the stage), `vtms_<r>_lp`.
    """
    f = {k: int(figs.get(k) or 0) for k in FIGURE_FIELDS}
    f["tps_count"] = int(figs.get("tps_count") or 0)
    f["target"] = f["target_l"] + f["target_p"]
    f["tms"] = sum(f[f"tms_{r}"] for r in TMS_REASONS)
    f["dps"] = f["dps_l"] + f["dps_p"]
    f["percent"] = percent(f["done"], f["target"])
    for s in SEXES:
        f[f"model_a_{s}"] = f[f"target_{s}"]
        f[f"tms_{s}"] = sum(f[f"vtms_{r}_{s}"] for r in TMS_REASONS)
        f[f"baru_{s}"] = f[f"vbaru_{s}"] + f[f"pindah_{s}"]
        f[f"ubah_{s}"] = f[f"vubah_{s}"]
        f[f"dphp_{s}"] = f[f"dps_{s}"]
    for k in ("model_a", "tms", "baru", "pindah", "vbaru", "ubah", "dphp"):
        f[f"{k}_lp"] = f[f"{k}_l"] + f[f"{k}_p"]
    for r in TMS_REASONS:
        f[f"vtms_{r}_lp"] = f[f"vtms_{r}_l"] + f[f"vtms_{r}_p"]
    f["dis"] = sum(f[k] for k in FIGURE_FIELDS if k.startswith("dis_"))
    return f


def identity_breaks(figs: dict) -> list[str]:
    """The sexes ("L", "P") for which DPHP = Model A - TMS + Baru does not hold (SPEC 4)."""
    f = figs if "dphp_l" in figs else derive(figs)
    return [
        s.upper()
        for s in SEXES
        if f[f"dphp_{s}"] != f[f"model_a_{s}"] - f[f"tms_{s}"] + f[f"baru_{s}"]
    ]


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
    """The TPS whose list of the stage (the DPHP) holds this voter, if any (SPEC 4).

    A listed voter stays in their TPS as listed (not yet visited, MS, ubah, or a result still
    waiting for the PPS) until a TMS is verified; a verified TMS 8 voter moves to the right TPS.
    A new voter counts once verified. `exports.dps_voters` is the same rule as a query.
    """
    verified = v.verification == Voter.Verification.APPROVED
    if v.origin == Voter.Origin.LIST:
        if v.status != Voter.Status.TMS or not verified:
            return v.tps_id
        if v.tms_reason == 8 and v.dps_tps_id:
            return v.dps_tps_id
        return None
    return v.tps_id if verified else None


def contributions(v: Voter) -> Delta:
    """The figures one voter adds to, per TPS code."""
    s = "l" if v.jenis_kelamin == "L" else "p"
    verified = v.verification == Voter.Verification.APPROVED
    home: Counter = Counter()
    if v.origin == Voter.Origin.LIST:
        home[f"target_{s}"] += 1
        if v.status != Voter.Status.BELUM:
            home["done"] += 1
        if v.status == Voter.Status.MS:
            home["ms"] += 1
        elif v.status == Voter.Status.UBAH:
            home["ubah"] += 1
            if verified:
                home[f"vubah_{s}"] += 1
        elif v.status == Voter.Status.TMS:
            home[f"tms_{v.tms_reason}"] += 1
            if verified:
                home[f"vtms_{v.tms_reason}_{s}"] += 1
    elif v.verification != Voter.Verification.REJECTED:
        home["baru"] += 1
        if verified:
            home[f"vbaru_{s}"] += 1
    if v.verification == Voter.Verification.PENDING:
        home["pending"] += 1
    if v.conflict:
        home["conflicts"] += 1
    if v.flags:
        home["flagged"] += 1
    out: Delta = {v.tps_id: home}
    dps = dps_tps_of(v)
    if dps:
        into = out.setdefault(dps, Counter())
        into[f"dps_{s}"] += 1
        if (
            v.origin == Voter.Origin.LIST and v.status == Voter.Status.TMS and verified
        ):  # TMS 8 moved
            into[f"pindah_{s}"] += 1
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
    if area.level in OWN_COLUMN:
        qs = qs.filter(**{OWN_COLUMN[area.level]: area.code})
    else:
        qs = qs.filter(regency_code__below=area.code)
    sums = qs.aggregate(tps_count=Count("tps_id"), **{k: Sum(k) for k in FIGURE_FIELDS})
    return {k: v or 0 for k, v in sums.items()}
