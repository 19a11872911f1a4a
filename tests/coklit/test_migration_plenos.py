"""The per-village DPS drafts become plenos (migration coklit.0004_plenos, docs/workflow.md)."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from coklit.models import Pleno, PlenoEvent
from kpu.models import Area
from kpu.wilayah import import_wilayah

BEFORE = [("coklit", "0003_perf")]


@pytest.mark.django_db(transaction=True)
def test_each_draft_state_becomes_what_the_note_says():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    import_wilayah(prefix="62.71")
    DpsDraft = old.get_model("coklit", "DpsDraft")
    since = timezone.now() - dt.timedelta(days=3)
    pahandut = Area.objects.filter(parent_id="62.71.01").values_list("code", flat=True)
    for code in pahandut:  # a whole kecamatan established
        DpsDraft.objects.create(village_id=code, status="established", stage_since=since)
    DpsDraft.objects.create(village_id="62.71.02.1001", status="submitted", ba_number="BA-S")
    DpsDraft.objects.create(village_id="62.71.02.1002", status="approved", ba_number="BA-A")
    DpsDraft.objects.create(village_id="62.71.02.1003", status="returned", note="perbaiki")
    DpsDraft.objects.create(village_id="62.71.02.1004", status="draft")
    DpsDraft.objects.create(village_id="62.71.03.1001", status="established", ba_number="BA-E")

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    states = dict(Pleno.objects.values_list("area_id", "state"))
    assert states == {
        **dict.fromkeys(pahandut, "sudah"),
        "62.71.01": "sudah",  # every village of it established
        "62.71.02.1001": "sudah",
        "62.71.02.1002": "sudah",  # approved by the PPK: the village's pleno, not a kecamatan's
        "62.71.02.1003": "dikembalikan",
        "62.71.03.1001": "sudah",  # Jekan Raya's other villages were not: no kecamatan pleno
    }
    assert Pleno.objects.get(area_id="62.71.02.1001").ba_number == "BA-S"
    assert Pleno.objects.get(area_id="62.71.01.1001").ba_number == "(tidak tercatat)"
    assert Pleno.objects.get(area_id="62.71.02.1003").returned_note.endswith("perbaiki")
    assert Pleno.objects.get(area_id="62.71.01").state_since == since
    assert PlenoEvent.objects.count() == len(states)
    assert {p.level for p in Pleno.objects.filter(area_id="62.71.01")} == {3}
