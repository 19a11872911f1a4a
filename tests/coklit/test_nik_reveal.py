"""Revealing one voter's full NIK (SPEC 10): PPS/PPK/KPU in scope, with a reason, logged."""

import pytest
from django.test import Client
from django.urls import reverse

from kpu.models import AuditEntry
from tests.coklit.workflow import make_voter, record

pytestmark = pytest.mark.django_db

NIK = "6271014101900001"


def reveal(client, voter, reason="Mencocokkan dengan KTP saat pleno", **headers):
    return client.post(reverse("coklit-nik-reveal", args=[voter.pk]), {"reason": reason}, **headers)


def test_the_url(world):
    assert reverse("coklit-nik-reveal", args=[7]) == "/pemilih/7/nik/"


@pytest.mark.parametrize("persona", ["pps", "ppk", "kpu"])
def test_a_committee_in_scope_sees_the_full_nik_and_it_is_logged(world, login, persona):
    voter = make_voter(world.tps1, nik=NIK)
    response = reveal(login(getattr(world, persona)), voter, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and NIK in response.text and "<html" not in response.text
    entry = AuditEntry.objects.get(action="nik_reveal")
    assert (entry.user, entry.role, entry.target, entry.area_code, entry.note) == (
        getattr(world, persona),
        persona,
        str(voter.pk),
        world.village.code,
        "Mencocokkan dengan KTP saat pleno",
    )


def test_without_javascript_the_nik_comes_in_a_small_page(world, login):
    voter = make_voter(world.tps1, nik=NIK)
    response = reveal(login(world.pps), voter)
    assert response.status_code == 200 and NIK in response.text and "<html" in response.text


def test_a_reason_is_required(world, login):
    voter = make_voter(world.tps1, nik=NIK)
    response = reveal(login(world.pps), voter, reason="   ", HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and NIK not in response.text
    assert "6271**********01" in response.text and "Tulis alasan" in response.text
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize(
    "persona",
    ["pantarlih", "pantarlih2", "pps_panarung", "ppk_bukit_batu", "kpu_mimika"],
)
def test_pantarlih_and_outsiders_get_404(world, login, persona):
    voter = make_voter(world.tps1, nik=NIK)
    response = reveal(login(getattr(world, persona)), voter)
    assert response.status_code == 404 and NIK not in response.text
    assert not AuditEntry.objects.exists()


def test_only_post_reveals(world, login):
    voter = make_voter(world.tps1, nik=NIK)
    assert login(world.pps).get(reverse("coklit-nik-reveal", args=[voter.pk])).status_code == 405
    assert reveal(login(world.pps), voter).status_code == 200
    anonymous = reveal(Client(), voter)
    assert anonymous.status_code == 302 and AuditEntry.objects.count() == 1


def test_the_reveal_is_on_the_village_timeline(world, login):
    voter = make_voter(world.tps1, nik=NIK)
    record(voter, "TMS", tms_reason=2)
    client = login(world.pps)
    page = client.get(reverse("coklit-queue", args=[world.village.code])).text
    assert NIK not in page and 'name="reason"' in page
    reveal(client, voter, reason="Cek ganda")
    area = client.get(reverse("coklit-area", args=[world.village.code])).text
    assert "membuka NIK lengkap" in area and "Cek ganda" in area and NIK not in area


def test_a_voter_id_over_999_is_written_plain_in_the_swap_target(world, login):
    """Ids are written without the thousands separator (`1.234` would make `#nik-1.234`, a
    selector htmx cannot find: the reveal would never swap in)."""
    voter = make_voter(world.tps1, nik=NIK, pk=123456)
    response = reveal(login(world.pps), voter, reason="   ", HTTP_HX_REQUEST="true")
    assert 'id="nik-123456"' in response.text and 'hx-target="#nik-123456"' in response.text
