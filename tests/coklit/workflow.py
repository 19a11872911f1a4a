"""Helpers of the verification and pleno tests: voters and field results as the sync API
will make them (the event, the voter's new status, the figures, in one transaction), and plenos
set straight to a state (what the chain above a test's own step has done)."""

import datetime as dt
import itertools

from django.db import transaction
from django.utils import timezone

from coklit import figures
from coklit.models import CoklitEvent, Pleno, Voter
from coklit.services import _copy
from tests.coklit.dashboard_support import voter_fields

_nik = itertools.count(1)


def make_voter(tps, **kw) -> Voter:
    """A voter of the starting list (Model A), counted in the figures."""
    with transaction.atomic():
        v = Voter.objects.create(**voter_fields(tps, next(_nik)) | kw)
        figures.apply(figures.delta([], [v]))
    return v


def record(
    voter: Voter,
    outcome: str = "MS",
    *,
    tms_reason=None,
    target_tps=None,
    changes=None,
    note="",
    user=None,
    recorded_at=None,
    conflict=False,
) -> CoklitEvent:
    """A field result for a voter, applied as the sync API does."""
    with transaction.atomic():
        voter = Voter.objects.select_for_update().get(pk=voter.pk)
        before = _copy(voter)
        event = CoklitEvent.objects.create(
            tps=voter.tps,
            voter=voter,
            outcome=outcome,
            tms_reason=tms_reason,
            target_tps=target_tps,
            note=note,
            changes=changes or {},
            recorded_at=recorded_at or timezone.now(),
            user=user,
            conflict=conflict,
        )
        if outcome == "TMS":
            voter.status, voter.tms_reason = "TMS", tms_reason
            voter.dps_tps_id = f"{voter.village_id}.{target_tps:03d}" if tms_reason == 8 else None
        elif changes:
            voter.status, voter.tms_reason, voter.dps_tps = "UBAH", None, None
        else:
            voter.status, voter.tms_reason, voter.dps_tps = "MS", None, None
        pending = outcome == "TMS" or bool(changes) or conflict
        voter.verification = "pending" if pending else ""
        event.verification = "pending" if pending else ""
        event.save(update_fields=["verification"])
        voter.conflict = conflict
        voter.outcome_event, voter.outcome_at = event, event.recorded_at
        voter.save()
        figures.apply(figures.delta([before], [voter]))
    return event


def record_conflict(voter: Voter, first: dict, second: dict) -> tuple[CoklitEvent, CoklitEvent]:
    """Two pantarlih record different outcomes: the later stands, both are in conflict."""
    now = timezone.now()
    a = record(voter, recorded_at=now - dt.timedelta(hours=2), **first)
    b = record(voter, recorded_at=now - dt.timedelta(hours=1), conflict=True, **second)
    CoklitEvent.objects.filter(pk=a.pk).update(stands=False, conflict=True)
    return a, b


def record_baru(tps, *, user=None, **kw) -> CoklitEvent:
    """A new voter found in the field: waits for the PPS's verification."""
    n = next(_nik)
    with transaction.atomic():
        voter = Voter.objects.create(
            tps=tps,
            village=tps.parent,
            origin="BARU",
            status="BARU",
            verification="pending",
            nkk=f"62710101{n:08d}",
            nik=f"62710141{n:08d}",
            nama=kw.pop("nama", f"Baru {n}"),
            tanggal_lahir=dt.date(2007, 1, 1),
            jenis_kelamin="L",
            status_kawin="B",
        )
        event = CoklitEvent.objects.create(
            tps=tps,
            voter=voter,
            outcome="BARU",
            recorded_at=timezone.now(),
            user=user,
            verification="pending",
            new_voter={"nama": voter.nama},
        )
        voter.outcome_event, voter.outcome_at = event, event.recorded_at  # as sync does
        voter.save()
        figures.apply(figures.delta([], [voter]))
    return event


def complete_village(world, n_per_tps: int = 2) -> list[Voter]:
    """Every voter of Pahandut found MS: coklit 100%, the queue empty."""
    voters = []
    for tps in (world.tps1, world.tps2):
        for _ in range(n_per_tps):
            v = make_voter(tps)
            record(v, "MS")
            voters.append(Voter.objects.get(pk=v.pk))
    return voters


def set_pleno(area, state="sudah", *, stage="dphp", days_ago=0, **kw) -> Pleno:
    """The area's pleno put straight into `state` (held: with a BA number, and for the regency
    a Keputusan number), as if its committee had acted `days_ago` days ago."""
    defaults = {
        "level": area.level,
        "state": state,
        "state_since": timezone.now() - dt.timedelta(days=days_ago),
        "ba_number": f"BA-{area.code}" if state == "sudah" else "",
        "sk_number": "SK-1" if state == "sudah" and area.level == 2 else "",
    } | kw
    pleno, _ = Pleno.objects.update_or_create(stage=stage, area=area, defaults=defaults)
    return pleno


def hold_all(areas, **kw) -> None:
    for area in areas:
        set_pleno(area, **kw)


def hold_stage(
    world, *, stage="dphp", pps="1/BA/PPS", ppk="1/BA/PPK", kpu="1/BA/KPU", sk="1/SK"
) -> None:
    """A stage's plenos held up the chain of Pahandut: its PPS, its PPK and the KPU (not when
    `kpu` is None) through the real service, the other villages and districts set straight to
    held."""
    from coklit import plenos

    plenos.pleno_hold(area=world.village, by=world.pps, ba_number=pps)
    for village in world.district.children.exclude(code=world.village.code):
        set_pleno(village, "sudah", stage=stage)
    plenos.pleno_hold(area=world.district, by=world.ppk, ba_number=ppk)
    for district in world.regency.children.exclude(code=world.district.code):
        set_pleno(district, "sudah", stage=stage)
    if kpu is not None:
        plenos.pleno_hold(area=world.regency, by=world.kpu, ba_number=kpu, sk_number=sk)
