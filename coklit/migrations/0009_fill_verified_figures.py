"""Recount every TPS's figures from its voters: the verified per-sex counters are new, and the
list of the stage (`dps_*`) now keeps voters not yet visited or still waiting (SPEC 4)."""

from collections import Counter

from django.db import migrations


def fill(apps, schema_editor):
    # The live rule (`figures.contributions`) on historical rows: it reads plain fields only.
    from coklit.figures import add_into, contributions
    from coklit.models import FIGURE_FIELDS

    Voter = apps.get_model("coklit", "Voter")
    TpsFigures = apps.get_model("coklit", "TpsFigures")
    fields = [k for k in FIGURE_FIELDS if k != "results"]
    total: dict[str, Counter] = {}
    for v in Voter.objects.only(
        "tps_id", "dps_tps_id", "origin", "status", "tms_reason", "jenis_kelamin",
        "verification", "conflict", "flags", "disabilitas", "ktp_el",
    ).iterator(chunk_size=5000):
        add_into(total, contributions(v))
    batch = []
    for row in TpsFigures.objects.all().iterator(chunk_size=2000):
        counts = total.get(row.tps_id, Counter())
        for k in fields:
            setattr(row, k, counts.get(k, 0))
        batch.append(row)
        if len(batch) >= 1000:
            TpsFigures.objects.bulk_update(batch, fields)
            batch = []
    if batch:
        TpsFigures.objects.bulk_update(batch, fields)


class Migration(migrations.Migration):
    dependencies = [("coklit", "0008_tpsfigures_verified")]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
