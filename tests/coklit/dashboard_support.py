"""Helpers of the dashboard tests: an election around today and voters whose figures are kept."""

import datetime as dt
import itertools

from django.db import transaction
from django.utils import timezone

from coklit import figures
from coklit.models import TpsFigures, Voter
from kpu.services import pemilihan_create

_nik = itertools.count(1)


def election(regency, *, days_before=10, days_after=19):
    """A 30-day coklit period with `days_before` days done before today (election zone)."""
    today = timezone.localdate()
    start = today - dt.timedelta(days=days_before)
    pemilihan, _ = pemilihan_create(
        regency=regency,
        name="Pemilihan Uji",
        coklit_start=start,
        coklit_end=today + dt.timedelta(days=days_after),
        voting_day=today + dt.timedelta(days=90),
    )
    return pemilihan


def voter_fields(tps, i: int) -> dict:
    """The `i`th made-up voter of the starting list of `tps` (NIK and NKK unique by `i`)."""
    return dict(
        tps=tps,
        village=tps.parent,
        nkk=f"62710101{i:08d}",
        nik=f"62710141{i:08d}",
        nama=f"Pemilih {i}",
        tanggal_lahir=dt.date(1990, 1, 1),
        jenis_kelamin="P" if i % 2 else "L",
        status_kawin="B",
    )


def add_voters(tps, n=1, **kw):
    """`n` voters on the TPS's list, with the TPS's figures moved in the same transaction."""
    made = []
    with transaction.atomic():
        for _ in range(n):
            made.append(Voter.objects.create(**voter_fields(tps, next(_nik)) | kw))
        figures.apply(figures.delta([], made))
    return made


def set_outcome(voter, **changes):
    """Change one voter the way the sync does: before/after, figures in the same transaction."""
    with transaction.atomic():
        before = Voter.objects.select_for_update().get(pk=voter.pk)
        after = Voter.objects.get(pk=voter.pk)
        for k, v in changes.items():
            setattr(after, k, v)
        after.save()
        figures.apply(figures.delta([before], [after]))
    return after


def set_figures(tps, **values):
    TpsFigures.objects.filter(tps=tps).update(**values)
