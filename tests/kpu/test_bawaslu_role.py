"""The supervisor's role (SPEC 2): Bawaslu Kab/Kota, Panwaslu Kecamatan, Panwaslu Kelurahan/Desa.

It sees every page, export and the audit log of its area with NIK masked, never reveals a NIK,
and acts on nothing but its own saran perbaikan; its accounts are made by the KPU.
"""

from io import BytesIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from openpyxl import load_workbook

from coklit import services
from kpu import services as kpu_services
from kpu.models import Role, User, role_label
from kpu.services import DomainError
from tests.coklit.conftest import Device, add_voters, event

pytestmark = pytest.mark.django_db


def test_add_user_gives_the_supervisor_a_regency_district_or_village(world, capsys):
    call_command("add_user", "bawaslu-kota", role="bawaslu", area="62.71", password="rahasia-123")
    call_command("add_user", "panwascam", role="bawaslu", area="62.71.02", password="rahasia-123")
    call_command("add_user", "pkd-langkai", role="bawaslu", area="62.71.01.1003")
    out = capsys.readouterr().out
    assert "Bawaslu Kab/Kota" in out and "Panwaslu Kecamatan" in out
    assert "Panwaslu Kelurahan/Desa (PKD)" in out
    assert User.objects.filter(role=Role.BAWASLU).count() == 5  # with the two personas
    with pytest.raises(CommandError, match="bekerja di tingkat"):
        call_command("add_user", "x", role="bawaslu", area=world.tps1.code)
    assert not User.objects.filter(username="x").exists()


def test_the_supervisor_is_named_by_its_body_at_each_level():
    assert role_label("bawaslu", "62.71") == "Bawaslu Kab/Kota"
    assert role_label("bawaslu", "62.71.01") == "Panwaslu Kecamatan"
    assert role_label("bawaslu", "94.04.01") == "Panwaslu Distrik"
    assert role_label("bawaslu", "62.71.01.1001") == "Panwaslu Kelurahan/Desa (PKD)"


def test_the_kpu_creates_supervisor_accounts_and_a_pps_cannot(world, login):
    response = login(world.kpu).post(
        reverse("kpu-account-create"),
        {"nama": "Yusuf Panwas", "peran": "bawaslu", "kode_wilayah": "62.71.02"},
    )
    assert response.status_code == 200
    account = User.objects.get(first_name="Yusuf")
    assert account.role == Role.BAWASLU and account.area_id == "62.71.02"
    with pytest.raises(DomainError, match="tidak dapat memberi peran Bawaslu"):
        kpu_services.account_create(
            by=world.pps, full_name="Z", role="bawaslu", area_code="62.71.01.1001"
        )
    # A supervisor manages no accounts.
    assert login(world.pkd).get(reverse("kpu-accounts")).status_code == 404


def test_the_pkd_reads_its_village_with_nik_masked(world, login):
    voters = add_voters(world.tps1, 3)
    client = login(world.pkd)
    page = client.get(reverse("coklit-area", args=[world.tps1.code])).content.decode()
    assert voters[0].nama in page and voters[0].nik not in page
    assert voters[0].nik[:4] + "**********" + voters[0].nik[-2:] in page
    assert client.get(reverse("coklit-area", args=[world.village.code])).status_code == 200
    assert client.get(reverse("coklit-area", args=[world.village_panarung.code])).status_code == 404
    export = client.get(reverse("coklit-dps-xlsx", args=[world.tps1.code]))
    assert export.status_code == 200
    cells = [
        str(c)
        for ws in load_workbook(BytesIO(b"".join(export.streaming_content)))
        for row in ws.iter_rows(values_only=True)
        for c in row
    ]
    assert not any(v.nik in c for v in voters for c in cells)


def test_the_supervisor_never_reveals_a_nik(world, login):
    """A role in scope that may not act: 403 (SPEC 8), the NIK never in the answer."""
    voter = add_voters(world.tps1, 1)[0]
    client = login(world.pkd)
    response = client.post(reverse("coklit-nik-reveal", args=[voter.pk]), {"reason": "cek"})
    assert response.status_code == 403 and voter.nik not in response.content.decode()
    with pytest.raises(services.Refused):
        services.voter_nik_reveal(voter=voter, by=world.pkd, reason="cek")
    queue = client.get(reverse("coklit-queue", args=[world.village.code])).content.decode()
    assert "coklit-nik-reveal" not in queue and 'name="reason"' not in queue


def test_the_supervisor_sees_the_timeline_but_cannot_verify(world, login):
    device = Device(world.pantarlih)
    voter = add_voters(world.tps1, 1)[0]
    ev = event(voter, "TMS", tms_reason=2)
    assert device.statuses([ev]) == ["accepted"]
    client = login(world.pkd)
    response = client.post(reverse("coklit-event-verify", args=[ev["id"]]), {"decision": "approve"})
    assert response.status_code == 403
    login(world.pps).post(reverse("coklit-event-verify", args=[ev["id"]]), {"decision": "approve"})
    page = client.get(reverse("coklit-area", args=[world.village.code])).content.decode()
    assert "Pps" in page  # who verified, in the village's timeline
    queue = client.get(reverse("coklit-queue", args=[world.village.code])).content.decode()
    assert "Setujui" not in queue
