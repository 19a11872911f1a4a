# The per-village DPS draft becomes a pleno per (stage, area) for villages, districts and the
# regency (issue 11). What the drafts become is in `fill_plenos` below.

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

MIGRATED = "Dipindahkan dari draf DPS (status %s)."
NO_SK = "(tidak tercatat: dari draf DPS)"


def fill_plenos(apps, schema_editor):
    """Map each DPS draft onto the plenos of the DPHP stage:

    - `submitted` (the PPS had held its pleno and sent the draft up): the village pleno held;
    - `approved` (the PPK approved it, village by village): the village pleno held; the old
      approval was not a district pleno, so the district pleno is not held by it;
    - `established`: the village pleno held, and so is its district's where every village of the
      district is established, and the regency's where every district is then held (its SK
      number was never recorded: the pleno says so);
    - `returned`: the village pleno returned (dikembalikan), with the draft's note;
    - `draft`: nothing (no row is a pleno not yet held).
    A missing BA number becomes a note that it was not recorded. The drafts' frozen figures and
    approval snapshots are dropped: a held pleno's voters cannot change, and the snapshot of a
    pleno is issue 12's.
    """
    Area = apps.get_model("kpu", "Area")
    DpsDraft = apps.get_model("coklit", "DpsDraft")
    Pleno = apps.get_model("coklit", "Pleno")
    PlenoEvent = apps.get_model("coklit", "PlenoEvent")

    def make(area_code, level, state, since, ba="", note="", sk=""):
        pleno = Pleno.objects.create(
            stage="dphp",
            area_id=area_code,
            level=level,
            state=state,
            state_since=since,
            ba_number=ba if state == "sudah" else "",
            sk_number=sk,
            held_at=since if state == "sudah" else None,
            note=note if state == "sudah" else "",
            returned_note=note if state != "sudah" else "",
        )
        PlenoEvent.objects.create(
            pleno=pleno,
            action="hold" if state == "sudah" else "return",
            at=since,
            state_from="belum",
            state_to=state,
            ba_number=pleno.ba_number,
            sk_number=sk,
            held_at=pleno.held_at,
            note=note,
        )

    established: dict[str, list] = {}
    for d in DpsDraft.objects.exclude(status="draft").order_by("village_id"):
        note = (MIGRATED % d.status) + (f" {d.note}" if d.note else "")
        ba = d.ba_number or "(tidak tercatat)"
        if d.status == "returned":
            make(d.village_id, 4, "dikembalikan", d.stage_since, note=note)
            continue
        make(d.village_id, 4, "sudah", d.stage_since, ba=ba, note=note)
        if d.status == "established":
            established.setdefault(d.village_id.rsplit(".", 1)[0], []).append(d)
    held_districts: dict[str, list] = {}
    for district, drafts in established.items():
        villages = Area.objects.filter(parent_id=district, level=4).count()
        if villages and len(drafts) == villages:
            since = max(d.stage_since for d in drafts)
            ba = drafts[-1].ba_number or "(tidak tercatat)"
            make(district, 3, "sudah", since, ba=ba, note=MIGRATED % "established")
            held_districts.setdefault(district.rsplit(".", 1)[0], []).append(since)
    for regency, times in held_districts.items():
        if len(times) == Area.objects.filter(parent_id=regency, level=3).count():
            make(
                regency, 2, "sudah", max(times), ba="(tidak tercatat)",
                note=MIGRATED % "established", sk=NO_SK,
            )


class Migration(migrations.Migration):

    dependencies = [
        ('coklit', '0003_perf'),
        ('kpu', '0002_hardening'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Pleno',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('stage', models.CharField(choices=[('dphp', 'DPHP → DPS'), ('dpshp', 'DPSHP → DPT')], default='dphp', max_length=5)),
                ('level', models.PositiveSmallIntegerField()),
                ('state', models.CharField(choices=[('belum', 'Belum pleno'), ('sudah', 'Sudah pleno'), ('dikembalikan', 'Dikembalikan')], default='belum', max_length=12)),
                ('state_since', models.DateTimeField(default=django.utils.timezone.now)),
                ('ba_number', models.CharField(blank=True, max_length=100)),
                ('sk_number', models.CharField(blank=True, max_length=100)),
                ('held_at', models.DateTimeField(blank=True, null=True)),
                ('place', models.CharField(blank=True, max_length=200)),
                ('attendees', models.TextField(blank=True, help_text='One per line: name and capacity')),
                ('note', models.TextField(blank=True)),
                ('returned_note', models.TextField(blank=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('area', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='plenos', to='kpu.area')),
                ('held_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('returned_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'indexes': [models.Index(fields=['level', 'state'], name='coklit_pleno_level_state')],
                'constraints': [
                    models.UniqueConstraint(fields=('stage', 'area'), name='coklit_pleno_one_per_area'),
                    models.CheckConstraint(condition=models.Q(models.Q(('state', 'sudah'), _negated=True), models.Q(('ba_number', ''), _negated=True), _connector='OR'), name='coklit_pleno_held_has_ba'),
                    models.CheckConstraint(condition=models.Q(models.Q(('level', 2), ('state', 'sudah'), _negated=True), models.Q(('sk_number', ''), _negated=True), _connector='OR'), name='coklit_pleno_regency_held_has_sk'),
                ],
            },
        ),
        migrations.CreateModel(
            name='PlenoEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('action', models.CharField(choices=[('hold', 'pleno'), ('return', 'dikembalikan'), ('reopen', 'dibuka kembali')], max_length=6)),
                ('at', models.DateTimeField(default=django.utils.timezone.now)),
                ('role', models.CharField(blank=True, max_length=16)),
                ('state_from', models.CharField(max_length=12)),
                ('state_to', models.CharField(max_length=12)),
                ('ba_number', models.CharField(blank=True, max_length=100)),
                ('sk_number', models.CharField(blank=True, max_length=100)),
                ('held_at', models.DateTimeField(blank=True, null=True)),
                ('place', models.CharField(blank=True, max_length=200)),
                ('attendees', models.TextField(blank=True)),
                ('note', models.TextField(blank=True)),
                ('cause', models.CharField(blank=True, help_text="Reopen: the village's code", max_length=20)),
                ('by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('pleno', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='history', to='coklit.pleno')),
            ],
            options={
                'ordering': ['-at', '-pk'],
                'indexes': [models.Index(fields=['pleno', 'at'], name='coklit_plenoevent_pleno_at')],
            },
        ),
        migrations.RunPython(fill_plenos, migrations.RunPython.noop),
        migrations.DeleteModel(name='DpsDraft'),
    ]
