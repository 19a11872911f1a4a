import datetime as dt

import pytest
from django.db import transaction

from coklit import figures, selectors
from coklit.models import Voter

pytestmark = pytest.mark.django_db


def make_voter(tps, **kw):
    defaults = dict(
        tps=tps,
        village=tps.parent,
        nkk="6271010101010001",
        nik="6271014101900001",
        nama="Rina",
        tanggal_lahir=dt.date(1990, 1, 1),
        jenis_kelamin="P",
        status_kawin="B",
    )
    return Voter.objects.create(**defaults | kw)


def test_a_change_moves_the_figures_of_the_tps_and_up(world):
    v = make_voter(world.tps1, disabilitas="1,6", ktp_el=False)
    with transaction.atomic():
        figures.apply(figures.delta([], [v]))
    before = Voter.objects.get(pk=v.pk)
    v.status, v.verification = Voter.Status.MS, ""
    with transaction.atomic():
        v.save()
        figures.apply(figures.delta([before], [v]))
    tps = selectors.area_figures(area=world.tps1)
    assert (tps["target_p"], tps["done"], tps["ms"], tps["dps_p"]) == (1, 1, 1, 1)
    assert (tps["dis_1"], tps["dis_6"], tps["no_ktp_el"]) == (1, 1, 1)
    regency = selectors.area_figures(area=world.regency)
    assert regency["done"] == 1 and regency["tps_count"] == 4
    assert figures.mismatches(code="62.71") == {}


def test_tms_8_counts_in_the_tps_it_moves_to_once_verified(world):
    v = make_voter(
        world.tps1,
        jenis_kelamin="L",
        status="TMS",
        tms_reason=8,
        dps_tps=world.tps2,
        verification="approved",
    )
    with transaction.atomic():
        figures.apply(figures.delta([], [v]))
    one, two = (selectors.area_figures(area=t) for t in (world.tps1, world.tps2))
    assert (one["target_l"], one["tms_8"], one["dps_l"]) == (1, 1, 0)
    assert (two["target_l"], two["dps_l"]) == (0, 1)


def test_children_figures_sum_per_child(world):
    v = make_voter(world.tps2, status="MS")
    with transaction.atomic():
        figures.apply(figures.delta([], [v]))
    rows = dict((a.code, f) for a, f in selectors.children_figures(area=world.district))
    assert rows["62.71.01.1001"]["done"] == 1 and rows["62.71.01.1001"]["tps_count"] == 2
    assert rows["62.71.01.1003"]["tps_count"] == 0


def test_kept_figures_that_drift_are_found(world):
    make_voter(world.tps1)  # saved without its figures: the recount must notice
    assert set(figures.mismatches(code="62.71")) == {"62.71.01.1001.001"}


@pytest.mark.parametrize(
    "done,target,shown", [(9996, 10000, 99.9), (1, 3, 33.3), (5, 5, 100.0), (0, 0, 0.0)]
)
def test_a_rate_is_never_rounded_up(done, target, shown):
    assert selectors.percent(done, target) == shown
