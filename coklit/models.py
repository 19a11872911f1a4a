"""Voters, the coklit event log, figures kept per TPS, and the plenos (SPEC 8)."""

import datetime as dt
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kpu.models import Area

TMS_REASONS = {
    1: _("Meninggal"),
    2: _("Ganda"),
    3: _("Di bawah umur"),
    4: _("Pindah domisili"),
    5: _("Tidak dikenal"),
    6: _("TNI"),
    7: _("Polri"),
    8: _("Salah penempatan TPS"),
    9: _("Lainnya"),
}
# Reasons whose evidence must be written down (SPEC 4).
TMS_NOTE_REQUIRED = {1, 9}

DISABILITIES = {
    1: _("Fisik"),
    2: _("Intelektual"),
    3: _("Mental"),
    4: _("Sensorik wicara"),
    5: _("Sensorik rungu"),
    6: _("Sensorik netra"),
}


class Flag(models.TextChoices):
    """Suspicious but valid import rows, flagged for the PPS (SPEC 5)."""

    NIK_BIRTH_DATE = "nik_tgl", _("Tanggal lahir pada NIK tidak cocok")
    NIK_SEX = "nik_jk", _("Jenis kelamin pada NIK tidak cocok")
    OVER_120 = "umur_120", _("Umur lebih dari 120 tahun")
    UNDERAGE = "bawah_umur", _("Di bawah 17 tahun dan belum kawin")
    NIK_OTHER_TPS = "nik_tps_lain", _("NIK juga terdaftar di TPS lain")
    TPS_OVER_600 = "tps_600", _("TPS lebih dari 600 pemilih")


def age_on(born: dt.date, day: dt.date) -> int:
    """Age in whole years on `day` (the voting day, for the flags and the published DPS)."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


class Voter(models.Model):
    class Origin(models.TextChoices):
        LIST = "A", _("Daftar pemilih (Model A)")
        BARU = "BARU", _("Pemilih baru")

    class Status(models.TextChoices):
        BELUM = "BELUM", _("Belum coklit")
        MS = "MS", _("MS")
        UBAH = "UBAH", _("MS (ubah)")
        TMS = "TMS", _("TMS")
        BARU = "BARU", _("Baru")

    class Verification(models.TextChoices):
        NONE = "", _("Tidak perlu")
        PENDING = "pending", _("Menunggu verifikasi")
        APPROVED = "approved", _("Disetujui")
        REJECTED = "rejected", _("Ditolak")

    class Sex(models.TextChoices):
        L = "L", _("Laki-laki")
        P = "P", _("Perempuan")

    class Marital(models.TextChoices):
        B = "B", _("Belum kawin")
        S = "S", _("Sudah kawin")
        P = "P", _("Pernah kawin")

    # The TPS of the starting list (or where a new voter was added); never changes, so the
    # coklit target of a TPS stays put. A TMS 8 voter's new TPS is `dps_tps`.
    tps = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="voters")
    village = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    origin = models.CharField(max_length=4, choices=Origin.choices, default=Origin.LIST)

    nkk = models.CharField(max_length=16)
    nik = models.CharField(max_length=16, db_index=True)
    nama = models.CharField(max_length=200)
    tempat_lahir = models.CharField(max_length=100, blank=True)
    tanggal_lahir = models.DateField()
    jenis_kelamin = models.CharField(max_length=1, choices=Sex.choices)
    status_kawin = models.CharField(max_length=1, choices=Marital.choices)
    alamat = models.CharField(max_length=300, blank=True)
    rt = models.CharField(max_length=3, blank=True)
    rw = models.CharField(max_length=3, blank=True)
    disabilitas = models.CharField(
        max_length=16, blank=True, help_text="Codes 1-6, comma-separated"
    )
    ktp_el = models.BooleanField(default=True)
    flags = models.CharField(max_length=100, blank=True, help_text="Flag codes, comma-separated")

    status = models.CharField(max_length=5, choices=Status.choices, default=Status.BELUM)
    tms_reason = models.PositiveSmallIntegerField(null=True, blank=True)
    dps_tps = models.ForeignKey(
        Area, null=True, blank=True, on_delete=models.PROTECT, related_name="moved_in_voters"
    )
    verification = models.CharField(
        max_length=8, choices=Verification.choices, default=Verification.NONE, blank=True
    )
    conflict = models.BooleanField(default=False)
    outcome_at = models.DateTimeField(null=True, blank=True)
    outcome_event = models.ForeignKey(
        "CoklitEvent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["tps", "status"], name="coklit_voter_tps_status"),
            models.Index(fields=["village", "verification"], name="coklit_voter_queue"),
            # The verification queue's pages, oldest first, by village, by TPS and by outcome:
            # partial, so they hold only the waiting voters (selectors.queue_page).
            models.Index(
                fields=["village", "outcome_at", "id"],
                condition=models.Q(verification="pending"),
                name="coklit_voter_queue_age",
            ),
            models.Index(
                fields=["tps", "outcome_at", "id"],
                condition=models.Q(verification="pending"),
                name="coklit_voter_queue_tps",
            ),
            models.Index(
                fields=["village", "conflict", "status", "outcome_at", "id"],
                condition=models.Q(verification="pending"),
                name="coklit_voter_queue_kind",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="TMS", tms_reason__gte=1, tms_reason__lte=9)
                | (~models.Q(status="TMS") & models.Q(tms_reason__isnull=True)),
                name="coklit_voter_tms_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.nama

    @property
    def flag_list(self) -> list[str]:
        return [f for f in self.flags.split(",") if f]

    @property
    def disability_list(self) -> list[int]:
        return [int(d) for d in self.disabilitas.split(",") if d]


def change_new_value(value):
    """The new value of one field in `CoklitEvent.changes`: stored as the value itself; an
    {"old": .., "new": ..} pair is tolerated as well."""
    if isinstance(value, dict) and "new" in value:
        return value["new"]
    return value


class CoklitEvent(models.Model):
    """One field result as the device sent it: append-only, keyed by the device's own UUID.

    A replayed id is a duplicate and changes nothing; that is what makes retries harmless.
    """

    class Outcome(models.TextChoices):
        MS = "MS", "MS"
        TMS = "TMS", "TMS"
        BARU = "BARU", "BARU"

    class Source(models.TextChoices):
        """Where a result came from (SPEC 6b): the pantarlih's app, or the PPS operator typing
        the paper Model A in (the entry page) or uploading the filled worksheet."""

        DEVICE = "device", _("Aplikasi pantarlih")
        ENTRI = "entri", _("Entri dari kertas")
        MODEL_A = "model_a", _("Unggahan Model A")
        # An accepted public response or saran perbaikan (SPEC 8b, coklit/tanggapan.py).
        TANGGAPAN = "tanggapan", _("Tanggapan/saran perbaikan")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tps = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="events")
    voter = models.ForeignKey(Voter, null=True, on_delete=models.PROTECT, related_name="events")
    outcome = models.CharField(max_length=4, choices=Outcome.choices)
    tms_reason = models.PositiveSmallIntegerField(null=True, blank=True)
    target_tps = models.PositiveSmallIntegerField(null=True, blank=True)
    note = models.TextField(blank=True)
    changes = models.JSONField(default=dict, blank=True)
    new_voter = models.JSONField(default=dict, blank=True)
    recorded_at = models.DateTimeField()
    received_at = models.DateTimeField(default=timezone.now)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    app_version = models.CharField(max_length=40, blank=True)
    # Who entered it is `user` (the pantarlih's account, or the PPS operator's for paper).
    # db_default too: rows written by COPY or plain SQL (bench, bulk seeding) are a device's.
    source = models.CharField(
        max_length=10, choices=Source.choices, default=Source.DEVICE, db_default=Source.DEVICE
    )
    # Whether this event's outcome is the one standing for its voter (the latest recorded).
    stands = models.BooleanField(default=True)
    conflict = models.BooleanField(default=False)

    verification = models.CharField(
        max_length=8, choices=Voter.Verification.choices, default="", blank=True
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    verification_note = models.TextField(blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["tps", "verification"], name="coklit_event_tps_verif"),
            models.Index(fields=["voter", "recorded_at"], name="coklit_event_voter_time"),
        ]

    @property
    def is_ubah(self) -> bool:
        return self.outcome == self.Outcome.MS and bool(self.changes)


# Counters kept per TPS. Everything an area page, the API or a recap shows is a sum of these.
# Two families (SPEC 4, 6, 9): coklit progress counts results as recorded, verified or not
# (`done`, `ms`, `ubah`, `tms_<r>`, `baru`: the progress API and the dashboard); the recaps a
# committee signs count verified results only, per sex (`v…_l`, `v…_p`, `pindah_*`), and the list
# of the stage (`dps_*`, the DPHP) is Model A less verified TMS plus verified baru and the voters
# moved in by a verified TMS 8, so DPHP = Model A - TMS + Baru holds per TPS by construction.
SEXES = ("l", "p")
FIGURE_FIELDS = (
    ["target_l", "target_p", "done", "ms", "ubah"]
    + [f"tms_{r}" for r in TMS_REASONS]
    + ["baru", "dps_l", "dps_p"]
    + [f"dis_{d}" for d in DISABILITIES]
    + ["no_ktp_el", "pending", "conflicts", "flagged", "results"]
    + [f"vtms_{r}_{s}" for r in TMS_REASONS for s in SEXES]
    + [f"{k}_{s}" for k in ("vbaru", "pindah", "vubah") for s in SEXES]
)


class TpsFigures(models.Model):
    """The figures of one TPS, changed in the same transaction as the voters they count.

    Village, district and regency figures are sums over these rows, never counts of voters at
    request time (61 ms per request on 1M voters, against 1-2 ms for the counters).
    """

    tps = models.OneToOneField(
        Area, primary_key=True, on_delete=models.PROTECT, related_name="figures"
    )
    village_code = models.CharField(max_length=20, db_index=True)
    district_code = models.CharField(max_length=20, db_index=True)
    regency_code = models.CharField(max_length=20, db_index=True)
    # Bumped on every change: a cheap version for ETags of polled partials.
    version = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)
    last_sync_at = models.DateTimeField(null=True, blank=True)
    app_version = models.CharField(max_length=40, blank=True)

    locals().update({name: models.IntegerField(default=0) for name in FIGURE_FIELDS})

    class Meta:
        verbose_name_plural = "TPS figures"


class AreaVersion(models.Model):
    """A counter per village, district and regency, bumped in the transaction of every change to
    the figures of a TPS below it (`figures.apply`, `figures.ensure_tps`).

    What a dashboard poll reads to know whether its area changed: one row, where summing the
    `version` of every TPS of a regency reads 2,000 rows. A counter, not a time: increments of
    one row are made one after the other under its lock, so a reader sees a new value exactly
    when it can see the change (two transactions' times could commit in either order).
    """

    code = models.CharField(primary_key=True, max_length=20)
    version = models.BigIntegerField(default=0)


class DailyProgress(models.Model):
    """Coklit results done per area and day (election zone, by recorded_at) for the chart."""

    area_code = models.CharField(max_length=20)
    day = models.DateField()
    done = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["area_code", "day"], name="coklit_dailyprogress_unique")
        ]


class Pleno(models.Model):
    """One rapat pleno terbuka: a (stage, area) of a village, a district or a regency (SPEC 8).

    Rows are made on first use (`coklit.plenos`): no row is a pleno not held yet (`belum`).
    A held village pleno, or any held pleno above it, locks the village's voters; the rules
    (who may act, from which state, what it needs) are the table in `coklit.plenos`.
    Issue 12's snapshot hangs off the hold in the history (`PlenoEvent`, action `hold`).
    """

    class Stage(models.TextChoices):
        # The order is the order of the stages: reopen acts on the last one the KPU has held.
        DPHP = "dphp", _("DPHP → DPS")
        DPSHP = "dpshp", _("DPSHP → DPT")

    class State(models.TextChoices):
        BELUM = "belum", _("Belum pleno")
        SUDAH = "sudah", _("Sudah pleno")
        DIKEMBALIKAN = "dikembalikan", _("Dikembalikan")

    stage = models.CharField(max_length=5, choices=Stage.choices, default=Stage.DPHP)
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="plenos")
    # The area's level (village, district, regency), kept for the inboxes' queries.
    level = models.PositiveSmallIntegerField()
    state = models.CharField(max_length=12, choices=State.choices, default=State.BELUM)
    state_since = models.DateTimeField(default=timezone.now)
    # The last hold's record (also in the history): what the berita acara prints.
    ba_number = models.CharField(max_length=100, blank=True)
    sk_number = models.CharField(max_length=100, blank=True)
    held_at = models.DateTimeField(null=True, blank=True)
    place = models.CharField(max_length=200, blank=True)
    attendees = models.TextField(blank=True, help_text="One per line: name and capacity")
    note = models.TextField(blank=True)
    held_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The last return or reopen: what the committee below reads on its page.
    returned_note = models.TextField(blank=True)
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["stage", "area"], name="coklit_pleno_one_per_area"),
            models.CheckConstraint(
                condition=~models.Q(state="sudah") | ~models.Q(ba_number=""),
                name="coklit_pleno_held_has_ba",
            ),
            models.CheckConstraint(
                condition=~models.Q(state="sudah", level=2) | ~models.Q(sk_number=""),
                name="coklit_pleno_regency_held_has_sk",
            ),
        ]
        indexes = [models.Index(fields=["level", "state"], name="coklit_pleno_level_state")]

    def __str__(self) -> str:
        return f"{self.stage} {self.area_id} {self.state}"

    @property
    def is_held(self) -> bool:
        return self.state == self.State.SUDAH

    @property
    def state_label(self) -> str:
        return str(self.State(self.state).label)


class PlenoEvent(models.Model):
    """The history of a pleno: each hold, return and reopen, append-only (SPEC 8).

    A reopen writes one row on each pleno it undoes (village, district, regency), `cause` naming
    the village it was for. Issue 12's snapshot is a model with a one-to-one to the hold's row.
    """

    class Action(models.TextChoices):
        HOLD = "hold", _("pleno")
        RETURN = "return", _("dikembalikan")
        REOPEN = "reopen", _("dibuka kembali")

    pleno = models.ForeignKey(Pleno, on_delete=models.PROTECT, related_name="history")
    action = models.CharField(max_length=6, choices=Action.choices)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    role = models.CharField(max_length=16, blank=True)
    state_from = models.CharField(max_length=12)
    state_to = models.CharField(max_length=12)
    ba_number = models.CharField(max_length=100, blank=True)
    sk_number = models.CharField(max_length=100, blank=True)
    held_at = models.DateTimeField(null=True, blank=True)
    place = models.CharField(max_length=200, blank=True)
    attendees = models.TextField(blank=True)
    note = models.TextField(blank=True)
    cause = models.CharField(max_length=20, blank=True, help_text="Reopen: the village's code")

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["pleno", "at"], name="coklit_plenoevent_pleno_at")]

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("The pleno history is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("The pleno history is append-only.")


class PlenoSnapshot(models.Model):
    """What a pleno recapped, stored by its hold (issue 12): the figures of every TPS of its
    area (`SnapshotTps`) and the state of every voter in it (`SnapshotVoter`).

    The berita acara, its annex and "changed since last held" read this, never live figures,
    so what the committee signed stays what the page shows. One per hold: a pleno held again
    after a return or reopen has a snapshot per hold, compared by `snapshots.changes_since`.
    """

    hold = models.OneToOneField(
        PlenoEvent, primary_key=True, on_delete=models.PROTECT, related_name="snapshot"
    )
    pleno = models.ForeignKey(Pleno, on_delete=models.PROTECT, related_name="snapshots")
    taken_at = models.DateTimeField(default=timezone.now)
    voters = models.IntegerField(default=0)
    # {"totals": {...}, "children": {code: {...}}}: the sums of `SnapshotTps`, made once.
    summary = models.JSONField(default=dict)

    class Meta:
        indexes = [models.Index(fields=["pleno", "taken_at"], name="coklit_snapshot_pleno_at")]


class SnapshotTps(models.Model):
    """The counters of one TPS (`FIGURE_FIELDS`, zeros left out) when the pleno was held.

    JSON rather than a column per counter: the counters grow with the forms (SPEC 9), and an
    old snapshot must still read back with the counters it had."""

    snapshot = models.ForeignKey(PlenoSnapshot, on_delete=models.PROTECT, related_name="tps_rows")
    tps = models.CharField(max_length=20)
    figures = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["snapshot", "tps"], name="coklit_snapshottps_unique")
        ]


class SnapshotVoter(models.Model):
    """One voter's state in a snapshot: a narrow row, one per voter and snapshot. A regency's
    pleno writes a million of them in one `INSERT ... SELECT` (`coklit.snapshots`).

    What makes that cheap: no foreign key constraints (PostgreSQL checks them row by row; the
    snapshot and the voters are never deleted, PROTECT above), and on PostgreSQL a BRIN index
    on the snapshot instead of a btree key (migration 0005: the rows of a snapshot lie
    together). The composite key below is the ORM's view of the row's identity."""

    pk = models.CompositePrimaryKey("snapshot", "voter_id")
    # The key (snapshot, voter) serves every lookup by snapshot: no index of its own.
    snapshot = models.ForeignKey(
        PlenoSnapshot,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    voter_id = models.BigIntegerField()
    status = models.CharField(max_length=5)
    tms_reason = models.SmallIntegerField(null=True)
    tps = models.CharField(max_length=20)  # the TPS of the list
    # NULL as in `Voter.dps_tps` (copied as is): where a verified TMS 8 moves the voter.
    dps_tps = models.CharField(max_length=20, null=True)  # noqa: DJ001
    verification = models.CharField(max_length=8, blank=True)
    # The level of the pleno's area: a village's own snapshot (a few thousand rows) is what
    # "changed since" reads, through the partial index below; the district's and regency's
    # million rows stay out of it, so their INSERT pays for no btree.
    level = models.PositiveSmallIntegerField()

    class Meta:
        indexes = [
            models.Index(
                fields=["snapshot", "voter_id"],
                condition=models.Q(level=4),
                name="coklit_snapshotvoter_village",
            )
        ]


class Tanggapan(models.Model):
    """A public response to the posted DPS, or a saran perbaikan of the supervisor (SPEC 8b).

    Recorded for one village (a PPK or KPU records one received at its office and it goes to
    the village), answered by the village's PPS: accepted, it becomes the change through the
    same rules as a verified field result (coklit/tanggapan.py); rejected, it carries the reason
    the reporter and the supervisor read.
    """

    class Kind(models.TextChoices):
        BELUM_TERDAFTAR = "belum_terdaftar", _("Belum terdaftar")
        DATA_SALAH = "data_salah", _("Data salah")
        TMS = "tms", _("Tidak memenuhi syarat")
        # How the work was done (a house visited without a sticker): the supervisor's only.
        PROSEDUR = "prosedur", _("Prosedur")

    class Source(models.TextChoices):
        MASYARAKAT = "masyarakat", _("Tanggapan masyarakat")
        SARAN = "saran", _("Saran perbaikan")

    class State(models.TextChoices):
        PENDING = "pending", _("Menunggu jawaban")
        ACCEPTED = "accepted", _("Diterima")
        REJECTED = "rejected", _("Ditolak")

    class Stage(models.TextChoices):
        # The list it asks to correct: the DPHP during coklit, the DPS (into the DPSHP) after.
        DPHP = "dphp", "DPHP"
        DPSHP = "dpshp", "DPSHP"

    village = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="tanggapan")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    source = models.CharField(max_length=10, choices=Source.choices)
    stage = models.CharField(max_length=5, choices=Stage.choices, default=Stage.DPHP)
    voter = models.ForeignKey(
        Voter, null=True, blank=True, on_delete=models.PROTECT, related_name="tanggapan"
    )
    tms_reason = models.PositiveSmallIntegerField(null=True, blank=True)
    target_tps = models.PositiveSmallIntegerField(null=True, blank=True)
    # A new person's data (`belum_terdaftar`, the import columns with `tps`), or only the
    # corrected fields (`data_salah`), as the sync API takes them.
    new_voter = models.JSONField(default=dict, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    tps = models.ForeignKey(Area, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reporter = models.CharField(max_length=200, blank=True)
    reporter_contact = models.CharField(max_length=100, blank=True)
    note = models.TextField(blank=True)
    evidence = models.CharField(max_length=300, blank=True)
    # Where it was received: the office (area) of whoever recorded it.
    received_area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="+")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    # Recorded after the response period of the election's schedule (SPEC 8b).
    late = models.BooleanField(default=False)

    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    answer_note = models.TextField(blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    # The change it became when accepted (a verified field result; a new voter's own event).
    event = models.ForeignKey(
        CoklitEvent, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["recorded_at", "pk"]
        indexes = [
            models.Index(fields=["village", "state"], name="coklit_tanggapan_village"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind="prosedur") | models.Q(source="saran"),
                name="coklit_tanggapan_prosedur_is_saran",
            ),
            models.CheckConstraint(
                condition=models.Q(state="pending", answered_at__isnull=True)
                | (~models.Q(state="pending") & models.Q(answered_at__isnull=False)),
                name="coklit_tanggapan_answered_when_not_pending",
            ),
            models.CheckConstraint(
                condition=~models.Q(state="rejected") | ~models.Q(answer_note=""),
                name="coklit_tanggapan_rejected_has_reason",
            ),
        ]
        verbose_name_plural = "tanggapan"

    def __str__(self) -> str:
        return f"{self.get_source_display()} #{self.pk}"

    @property
    def what(self) -> str:
        """The kind as officers say it: `TMS 1`, `Belum terdaftar`, `Data salah`."""
        if self.kind == self.Kind.TMS and self.tms_reason:
            return f"TMS {self.tms_reason}"
        return str(self.get_kind_display())
