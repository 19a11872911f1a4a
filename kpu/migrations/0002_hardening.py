"""The audit log refuses UPDATE and DELETE in the database itself (SPEC 10: it cannot be edited).

The model and its queryset already refuse (kpu.models.AuditEntry); this holds for raw SQL, a
shell, another program on the same database too. On PostgreSQL only: SQLite is the local demo.
TRUNCATE is left alone (test databases are flushed with it; it needs the table's owner).
"""

from django.db import migrations

CREATE = [
    """
CREATE OR REPLACE FUNCTION kpu_auditentry_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'kpu_auditentry is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$
""",
    "DROP TRIGGER IF EXISTS kpu_auditentry_append_only ON kpu_auditentry",
    """
CREATE TRIGGER kpu_auditentry_append_only
    BEFORE UPDATE OR DELETE ON kpu_auditentry
    FOR EACH ROW EXECUTE FUNCTION kpu_auditentry_append_only()
""",
]

DROP = [
    "DROP TRIGGER IF EXISTS kpu_auditentry_append_only ON kpu_auditentry",
    "DROP FUNCTION IF EXISTS kpu_auditentry_append_only()",
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in CREATE:
            schema_editor.execute(sql, None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in DROP:
            schema_editor.execute(sql, None)


class Migration(migrations.Migration):
    dependencies = [("kpu", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
