"""The audit log cannot be edited: not from the app, not by raw SQL on PostgreSQL (SPEC 10)."""

import pytest
from django.db import DatabaseError, connection, transaction

from kpu.models import AuditEntry, audit

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry(world):
    return audit(user=world.pps, action="nik_reveal", area_code=world.village.code, note="cek")


def test_the_model_refuses_updates_and_deletes(entry):
    entry.note = "diubah"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(pk=entry.pk).update(note="diubah")
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(pk=entry.pk).delete()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE kpu_auditentry SET note = 'diubah' WHERE id = %s",
        "DELETE FROM kpu_auditentry WHERE id = %s",
    ],
)
def test_postgresql_refuses_update_and_delete(entry, sql):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql, [entry.pk])
    entry.refresh_from_db()
    assert entry.note == "cek"
    # Appending still works.
    audit(user=None, action="check", area_code="62.71")
    assert AuditEntry.objects.count() == 2
