"""The snapshot a pleno's hold stores (coklit.snapshots): figures and every voter's state, and
"changed since last held" between two holds."""

import pytest
from django.db import transaction

from coklit import figures, plenos, snapshots
from coklit.models import Pleno, PlenoSnapshot, SnapshotVoter, Voter
from kpu.models import Area
from tests.coklit.workflow import complete_village, make_voter, record, set_pleno


def _verify(voter: Voter) -> None:
    """The PPS approves the voter's waiting result (figures follow the voter)."""
    with transaction.atomic():
        before = Voter.objects.get(pk=voter.pk)
        after = Voter.objects.get(pk=voter.pk)
        after.verification = "approved"
        after.save()
        figures.apply(figures.delta([before], [after]))


def _hold_village(world, ba="01/PPS"):
    return plenos.pleno_hold(area=world.village, by=world.pps, ba_number=ba)


@pytest.fixture
def held(world):
    complete_village(world)
    gone = make_voter(world.tps1, nama="Pindah Keluar")
    record(gone, "TMS", tms_reason=4)
    _verify(gone)
    return _hold_village(world)


def test_holding_stores_the_figures_and_every_voters_state(world, held):
    snap = PlenoSnapshot.objects.get(pleno=held)
    assert snap.hold.action == "hold" and snap.hold.ba_number == "01/PPS"
    assert snap.voters == Voter.objects.filter(village=world.village).count() == 5
    rows = SnapshotVoter.objects.filter(snapshot=snap)
    assert {r.voter_id for r in rows} == set(
        Voter.objects.filter(village=world.village).values_list("pk", flat=True)
    )
    tms = rows.get(status="TMS")
    assert (tms.tms_reason, tms.tps, tms.verification, tms.level) == (
        4,
        world.tps1.code,
        "approved",
        4,
    )
    sf = snapshots.snapshot_figures(snap)
    assert sf.totals == figures.area_totals(area=world.village) | {"tps_count": 2}
    assert [c.code for c, _ in sf.children] == [world.tps1.code, world.tps2.code]
    assert sum(f["target_l"] + f["target_p"] for _, f in sf.children) == 5


def test_the_snapshot_does_not_move_when_the_voters_do(world, held):
    snap = PlenoSnapshot.objects.get(pleno=held)
    before = snapshots.snapshot_figures(snap).totals
    # The second stage's accepted responses change voters of a village whose DPHP pleno stands.
    voter = Voter.objects.filter(village=world.village, status="MS").first()
    with transaction.atomic():
        old = Voter.objects.get(pk=voter.pk)
        voter.status, voter.tms_reason, voter.verification = "TMS", 1, "approved"
        voter.save()
        figures.apply(figures.delta([old], [voter]))
    assert figures.area_totals(area=world.village) != before | {"tps_count": 2}
    assert snapshots.snapshot_figures(PlenoSnapshot.objects.get(pk=snap.pk)).totals == before
    assert SnapshotVoter.objects.get(snapshot=snap, voter_id=voter.pk).status == "MS"


def test_a_district_and_a_regency_snapshot_hold_every_voter_under_them(world, held):
    for village in Area.objects.filter(parent=world.district).exclude(code=world.village.code):
        set_pleno(village)
    district = plenos.pleno_hold(area=world.district, by=world.ppk, ba_number="02/PPK")
    make_voter(world.tps_bukit_batu)  # another kecamatan: in the regency's snapshot only
    for other in Area.objects.filter(parent=world.regency).exclude(code=world.district.code):
        set_pleno(other)
    regency = plenos.pleno_hold(area=world.regency, by=world.kpu, ba_number="03", sk_number="1")
    d, r = snapshots.latest_snapshot(district), snapshots.latest_snapshot(regency)
    assert d.voters == 5 and r.voters == 6
    assert (
        snapshots.snapshot_figures(r).totals["tps_count"]
        == figures.area_totals(area=world.regency)["tps_count"]
    )
    names = [c.code for c, _ in snapshots.snapshot_figures(r).children]
    assert names == list(
        Area.objects.filter(parent=world.regency).order_by("code").values_list("code", flat=True)
    )


def test_a_failed_hold_stores_no_snapshot(world):
    complete_village(world)
    make_voter(world.tps1)  # not visited: coklit is not at 100%
    with pytest.raises(plenos.DomainError):
        _hold_village(world)
    assert not PlenoSnapshot.objects.exists() and not SnapshotVoter.objects.exists()


def test_changed_since_a_reopen_names_the_voter_that_changed(world, held):
    for village in Area.objects.filter(parent=world.district).exclude(code=world.village.code):
        set_pleno(village)
    plenos.pleno_hold(area=world.district, by=world.ppk, ba_number="02/PPK")
    for district in Area.objects.filter(parent=world.regency).exclude(code=world.district.code):
        set_pleno(district)
    regency = plenos.pleno_hold(area=world.regency, by=world.kpu, ba_number="03", sk_number="1")
    plenos.pleno_reopen(area=world.village, by=world.kpu, note="Salah rekap")
    # While reopened: the change since the last hold, against the voters as they are now.
    voter = Voter.objects.filter(village=world.village, status="MS").order_by("pk").first()
    Voter.objects.filter(pk=voter.pk).update(nama="Ibu Wafat")
    record(Voter.objects.get(pk=voter.pk), "TMS", tms_reason=1, note="Surat kematian")
    _verify(voter)
    open_now = snapshots.pleno_changes(Pleno.objects.get(pk=held.pk))
    assert [v.nama for v in open_now.voters] == ["Ibu Wafat"] and open_now.until is None
    assert open_now.voters[0].before_text == "MS" and open_now.voters[0].after_text == "TMS 1"
    # Held again: the change between the two holds, and the totals before and after.
    _hold_village(world, ba="01/PPS-R")
    ch = snapshots.pleno_changes(Pleno.objects.get(pk=held.pk))
    assert ch.count == 1 and [v.nama for v in ch.voters] == ["Ibu Wafat"]
    listed = lambda f: f["dps_l"] + f["dps_p"]  # noqa: E731
    assert listed(ch.after) == listed(ch.before) - 1
    # The district and the regency, held again, name the same voter and read that village only.
    plenos.pleno_hold(area=world.district, by=world.ppk, ba_number="02/PPK-R")
    plenos.pleno_hold(area=world.regency, by=world.kpu, ba_number="03-R", sk_number="1")
    for pleno in (Pleno.objects.get(area=world.district), regency):
        ch = snapshots.pleno_changes(Pleno.objects.get(pk=pleno.pk))
        assert [v.nama for v in ch.voters] == ["Ibu Wafat"], pleno
        assert ch.villages == [world.village.code]


def test_a_pleno_held_once_has_no_changes_to_show(world, held):
    assert snapshots.pleno_changes(held) is None
