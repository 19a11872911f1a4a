"""seed_demo --tahap tanggapan: the second stage played in part of the regency (SPEC 8b), so
every role, the supervisor included, finds something to do."""

from io import StringIO

import pytest
from django.core.management import call_command

from coklit import plenos
from coklit.models import Pleno, Tanggapan
from coklit.tanggapan import current_list, pending_inbox, recap_list, regency_stage
from kpu.models import Area, Pemilihan

pytestmark = pytest.mark.django_db


def test_the_second_stage_demo_gives_every_role_its_next_step():
    out = StringIO()
    call_command("seed_demo", "--tahap", "tanggapan", "--voters-per-tps", "2", stdout=out)
    text = out.getvalue()
    assert "DPS established 3 days ago" in text and "bawaslu-62.71.01.1001" in text
    regency = Area.objects.get(code="62.71")
    assert plenos.pleno_stage(regency) == "dpshp"
    assert regency_stage("62.71").key == "tanggapan"
    p = Pemilihan.objects.get()
    assert p.coklit_end < p.tanggapan_start <= p.today() <= p.tanggapan_end
    # The PPS of Pahandut has one of every kind to answer; the PKD filed one of them and sees
    # the answers to its earlier ones.
    waiting = Tanggapan.objects.filter(village_id="62.71.01.1001", state="pending")
    assert {t.kind for t in waiting} == {"belum_terdaftar", "data_salah", "tms"}
    assert waiting.filter(source="saran").exists()
    # Received over the period so far: the inbox shows days waiting, the oldest first.
    inbox = pending_inbox(village=Area.objects.get(code="62.71.01.1001"))
    assert inbox[0].days == 2 and inbox[-1].days == 0
    # The exports name the stage: the DPS while it is posted, the recap of the DPSHP.
    assert current_list(regency) == "dps" and recap_list(regency) == "dpshp"
    assert (
        Tanggapan.objects.filter(recorded_by__username="bawaslu-62.71.01.1001")
        .exclude(state="pending")
        .exists()
    )
    # The PPK of Pahandut sees Panarung's DPSHP pleno; the KPU, Bukit Batu's.
    held = set(Pleno.objects.filter(stage="dpshp", state="sudah").values_list("area_id", flat=True))
    assert "62.71.01.1002" in held and "62.71.02" in held and "62.71" not in held
    call_command("check_figures", "62.71", stdout=StringIO())
