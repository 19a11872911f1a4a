"""Personal data as an attacker looked for it (issue 15 items 3, 10, 13; SPEC 10).

Each test names what was found and fails without its fix.
"""

import pytest
from django.contrib.admin.sites import site
from django.test import Client
from django.urls import reverse

from coklit.models import CoklitEvent, Pleno, PlenoEvent, TpsFigures
from coklit.services import event_verify
from kpu.models import AuditEntry, User
from tests.security.conftest import CORRECTED_NIK, CORRECTED_NKK, _client, body_text

pytestmark = pytest.mark.django_db


def _approve_the_nik_correction(city):
    voter = city.voters[1]
    pending = CoklitEvent.objects.get(voter=voter, changes__has_key="nik")
    event_verify(event=pending, by=city.world.pps, decision="approve")
    return voter


def test_an_approved_nik_correction_leaves_no_full_nik_in_the_audit_log(city):
    """Issue 15 item 3: the approval stored the old and the new NIK and NKK in full in
    AuditEntry.data."""
    voter = _approve_the_nik_correction(city)
    old_nik = voter.nik
    voter.refresh_from_db()
    assert voter.nik == CORRECTED_NIK  # the correction itself was applied in full
    texts = [str(e.data) + e.note + e.target for e in AuditEntry.objects.all()]
    assert any("verify_approve" == e.action for e in AuditEntry.objects.all())
    for secret in (old_nik, CORRECTED_NIK, CORRECTED_NKK):
        assert not any(secret in t for t in texts), secret
    assert any(f"{CORRECTED_NIK[:4]}**********{CORRECTED_NIK[-2:]}" in t for t in texts)


def test_the_admin_shows_an_old_entry_masked_too(city):
    """An entry written before the fix (full NIK in its data) is masked on the admin page."""
    from django.db import connection

    # As the log held it before: a raw insert, past kpu.models.audit's masking.
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {AuditEntry._meta.db_table} (at, role, area_code, action, target, "
            "note, data) VALUES (now(), '', '62.71', 'old', '', '', %s) RETURNING id",
            ['{"changes": {"nik": ["6271014101900001", "' + CORRECTED_NIK + '"]}}'],
        )
        old_id = cursor.fetchone()[0]
    admin = Client()
    admin.force_login(User.objects.create_superuser("root", password="x-admin-pw-123"))
    page = admin.get(reverse("admin:kpu_auditentry_change", args=[old_id])).content.decode()
    assert "6271014101900001" not in page and CORRECTED_NIK not in page
    assert "6271**********01" in page


@pytest.mark.parametrize("model", [TpsFigures, Pleno, PlenoEvent])
def test_the_admin_cannot_change_figures_or_workflow_state(city, model):
    """Issue 15 item 10: the admin set a draft's (now a pleno's) state and edited per-TPS
    figures, bypassing the services and the audit log."""
    request = type("R", (), {"user": User(is_superuser=True, is_active=True, is_staff=True)})()
    model_admin = site._registry[model]
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_delete_permission(request)


def test_the_admin_change_page_of_figures_refuses_a_post(city):
    admin = Client()
    admin.force_login(User.objects.create_superuser("root", password="x-admin-pw-123"))
    figures = TpsFigures.objects.get(tps=city.world.tps1)
    url = reverse("admin:coklit_tpsfigures_change", args=[figures.pk])
    response = admin.post(url, {"tps": figures.tps_id, "done": 999_999})
    assert response.status_code == 403
    figures.refresh_from_db()
    assert figures.done != 999_999


def test_personal_data_answers_are_never_cached(city):
    """Issue 15 item 13: the NIK reveal (a full NIK) and the voter lists carried no
    Cache-Control."""
    pps = _client(city.world.pps)
    voter = city.voters[0]
    answers = {
        "reveal": pps.post(reverse("coklit-nik-reveal", args=[voter.pk]), {"reason": "cek KTP"}),
        "tps page": pps.get(reverse("coklit-area", args=[city.world.tps1.code])),
        "queue": pps.get(reverse("coklit-queue", args=[city.world.village.code])),
        "api list": city.device.client.get(
            f"/api/v1/tps/{city.world.tps1.code}/pemilih", headers=city.device.headers
        ),
        "dps.xlsx": pps.get(reverse("coklit-dps-xlsx", args=[city.world.tps1.code])),
    }
    for label, response in answers.items():
        assert response.status_code == 200, label
        body_text(response)
        assert "no-store" in response.get("Cache-Control", ""), label
