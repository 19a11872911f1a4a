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
    assert (one["target_l"], one["tms_8"], one["vtms_8_l"], one["dps_l"]) == (1, 1, 1, 0)
    assert (two["target_l"], two["pindah_l"], two["dps_l"]) == (0, 1, 1)


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


def recap_row(area):
    return figures.derive(selectors.area_figures(area=area))


def test_a_tms_8_move_is_tms_at_the_old_tps_and_baru_pindahan_at_the_new(world, device):
    from coklit import services
    from tests.coklit.conftest import add_voters, event

    voters = add_voters(world.tps1, 2)  # L, P
    before = [recap_row(a) for a in (world.tps1, world.tps2, world.village)]
    device.statuses([event(voters[1], "TMS", tms_reason=8, target_tps=2)])
    # Waiting for the PPS: no recap column moves, the result is counted on its own.
    waiting = [recap_row(a) for a in (world.tps1, world.tps2, world.village)]
    for b, w in zip(before, waiting, strict=True):
        for k in ("model_a_p", "tms_p", "baru_p", "pindah_p", "dphp_p", "dphp_lp"):
            assert b[k] == w[k], k
    assert waiting[0]["pending"] == 1 and waiting[0]["tms_8"] == 1  # progress counts it
    ev = voters[1].events.get()
    services.event_verify(event=ev, by=world.pps, decision="approve")
    one, two, village = (recap_row(a) for a in (world.tps1, world.tps2, world.village))
    assert (one["model_a_p"], one["tms_p"], one["vtms_8_p"], one["dphp_p"]) == (1, 1, 1, 0)
    assert (two["model_a_p"], two["baru_p"], two["pindah_p"], two["dphp_p"]) == (0, 1, 1, 1)
    assert village["dphp_lp"] == before[2]["dphp_lp"] == 2
    assert (village["tms_p"], village["baru_p"]) == (1, 1)
    for row in (one, two, village):
        assert figures.identity_breaks(row) == []
    assert figures.mismatches(code="62.71") == {}


def test_a_listed_voter_not_yet_visited_stays_in_the_dphp(world):
    v = make_voter(world.tps1, jenis_kelamin="L")
    with transaction.atomic():
        figures.apply(figures.delta([], [v]))
    row = recap_row(world.tps1)
    assert (row["model_a_l"], row["dphp_l"], row["tms_l"], row["baru_l"]) == (1, 1, 0, 0)


def test_only_verified_new_voters_and_ubah_count_in_the_recap(world):
    new = make_voter(world.tps1, origin="BARU", status="BARU", verification="pending")
    ubah = make_voter(world.tps1, status="UBAH", verification="pending", jenis_kelamin="L")
    with transaction.atomic():
        figures.apply(figures.delta([], [new, ubah]))
    row = recap_row(world.tps1)
    assert (row["baru"], row["baru_p"], row["ubah"], row["ubah_l"], row["dphp_lp"]) == (
        1,
        0,
        1,
        0,
        1,
    )
    b1, b2 = Voter.objects.get(pk=new.pk), Voter.objects.get(pk=ubah.pk)
    new.verification = ubah.verification = "approved"
    with transaction.atomic():
        new.save()
        ubah.save()
        figures.apply(figures.delta([b1, b2], [new, ubah]))
    row = recap_row(world.tps1)
    assert (row["baru_p"], row["ubah_l"], row["dphp_lp"]) == (1, 1, 2)
    assert figures.identity_breaks(row) == []
