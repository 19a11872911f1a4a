"""Areas (wilayah), elections, users with one role and one area, device tokens, the audit log."""

import hashlib
import re
import secrets
import zoneinfo

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.auth.validators import ASCIIUsernameValidator
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from coklit.masking import mask_nik
from kpu.lookups import code_within


class Area(models.Model):
    """One node of Province → regency → district → village → TPS, keyed by its Kemendagri code.

    Codes nest (`62` > `62.71` > `62.71.01` > `62.71.01.1001` > `62.71.01.1001.007`), so an
    area's code is a prefix of every code below it: scoping and aggregation lean on that.
    """

    class Level(models.IntegerChoices):
        PROVINCE = 1, _("Provinsi")
        REGENCY = 2, _("Kabupaten/Kota")
        DISTRICT = 3, _("Kecamatan")
        VILLAGE = 4, _("Kelurahan/Desa")
        TPS = 5, _("TPS")

    code = models.CharField(primary_key=True, max_length=20)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    level = models.PositiveSmallIntegerField(choices=Level.choices, db_index=True)
    name = models.CharField(max_length=120)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(level=1, parent__isnull=True)
                | models.Q(level__gt=1, parent__isnull=False),
                name="kpu_area_parent_unless_province",
            )
        ]

    def __str__(self) -> str:
        return self.title

    # Labels follow the region (SPEC 3): Papua provinces (9x) have distrik and kampung.
    @property
    def is_papua(self) -> bool:
        return self.code.startswith("9")

    @property
    def kind(self) -> str:
        if self.level == self.Level.PROVINCE:
            return str(_("Provinsi"))
        if self.level == self.Level.REGENCY:
            return "Kota" if self.name.startswith("Kota") else "Kabupaten"
        if self.level == self.Level.DISTRICT:
            return "Distrik" if self.is_papua else "Kecamatan"
        if self.level == self.Level.VILLAGE:
            # SPEC 3: a village coded 1xxx is a kelurahan everywhere (Mimika has 19 of them);
            # one coded 2xxx a desa, or in Papua a kampung.
            if self.code.rsplit(".", 1)[1].startswith("1"):
                return "Kelurahan"
            return "Kampung" if self.is_papua else "Desa"
        return "TPS"

    @property
    def title(self) -> str:
        """The name as officers write it: `Kecamatan Pahandut`, `Kota Palangka Raya`, `TPS 007`."""
        if self.level in (self.Level.REGENCY, self.Level.PROVINCE):
            return self.name if self.level == self.Level.REGENCY else f"Provinsi {self.name}"
        if self.level == self.Level.TPS:
            return f"TPS {self.code.rsplit('.', 1)[1]}"
        return f"{self.kind} {self.name}"

    @property
    def committee(self) -> str:
        """The body that works (and signs) at this level."""
        return {
            self.Level.REGENCY: "KPU",
            self.Level.DISTRICT: "PPD" if self.is_papua else "PPK",
            self.Level.VILLAGE: "PPS",
            self.Level.TPS: "Pantarlih",
        }.get(self.level, "KPU Provinsi")

    @property
    def district_committee(self) -> str:
        """The committee of the district this area is in (or is): PPK, or PPD in Papua."""
        return "PPD" if self.is_papua else "PPK"

    @property
    def district_kind(self) -> str:
        return "distrik" if self.is_papua else "kecamatan"

    @property
    def tps_number(self) -> int | None:
        return int(self.code.rsplit(".", 1)[1]) if self.level == self.Level.TPS else None

    @property
    def ancestor_codes(self) -> list[str]:
        parts = self.code.split(".")
        return [".".join(parts[:i]) for i in range(1, len(parts))]

    def contains(self, code: str) -> bool:
        return code_within(code, self.code)

    @property
    def regency_code(self) -> str:
        return ".".join(self.code.split(".")[:2])

    @property
    def province_code(self) -> str:
        return self.code.split(".")[0]


# Province code → election timezone (SPEC 5 / issue 2): WIB, WITA, WIT.
WITA_PROVINCES = {"51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"}
WIT_PROVINCES = {"81", "82", "91", "92", "93", "94", "95", "96", "97"}
ZONES = {
    "WIB": "Asia/Jakarta",
    "WITA": "Asia/Makassar",
    "WIT": "Asia/Jayapura",
}


def zone_for_province(province_code: str) -> str:
    """The abbreviation of the zone a province keeps: `WIB`, `WITA` or `WIT`."""
    if province_code in WIT_PROVINCES:
        return "WIT"
    if province_code in WITA_PROVINCES:
        return "WITA"
    return "WIB"


def zone_of(area_code: str) -> str:
    """The zone of the election of any area (`62.71.01` -> `WIB`): its province's, since an
    election is a regency's. Every time shown to a user is in it; no query needed."""
    return zone_for_province(area_code.split(".")[0])


def tzinfo_of(area_code: str) -> zoneinfo.ZoneInfo:
    """The zone of `zone_of(area_code)` as a tzinfo (Asia/Jakarta, Asia/Makassar, Asia/Jayapura)."""
    return zoneinfo.ZoneInfo(ZONES[zone_of(area_code)])


class Pemilihan(models.Model):
    """An election run by one regency's KPU, with its coklit period."""

    regency = models.ForeignKey(
        Area,
        on_delete=models.PROTECT,
        related_name="pemilihan",
        limit_choices_to={"level": Area.Level.REGENCY},
    )
    name = models.CharField(max_length=200)
    voting_day = models.DateField()
    coklit_start = models.DateField()
    coklit_end = models.DateField()
    # The public response period after the DPS is posted (SPEC 5, 8b; 18-27 August in 2024).
    # Empty: the ten days after the KPU's DPS pleno (coklit/tanggapan.py: response_period).
    tanggapan_start = models.DateField(null=True, blank=True)
    tanggapan_end = models.DateField(null=True, blank=True)
    # Commissioners of the KPU Kab/Kota who sign its recaps: three or five, by regency.
    kpu_members = models.PositiveSmallIntegerField(
        default=5, choices=[(3, "3"), (5, "5")], verbose_name="anggota KPU Kab/Kota"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-voting_day", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["regency", "name"], name="kpu_pemilihan_unique_name"),
            models.CheckConstraint(
                condition=models.Q(coklit_start__lte=models.F("coklit_end")),
                name="kpu_pemilihan_coklit_period_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(tanggapan_start__isnull=True, tanggapan_end__isnull=True)
                | models.Q(tanggapan_start__lte=models.F("tanggapan_end")),
                name="kpu_pemilihan_tanggapan_period_ordered",
            ),
        ]
        verbose_name_plural = "pemilihan"

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> str:
        return zone_of(self.regency_id)

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return tzinfo_of(self.regency_id)

    def localtime(self, value):
        return timezone.localtime(value, self.tzinfo)

    def today(self):
        return timezone.localtime(timezone.now(), self.tzinfo).date()


class Role(models.TextChoices):
    KPU = "kpu", "KPU"
    PPK = "ppk", "PPK"
    PPS = "pps", "PPS"
    PANTARLIH = "pantarlih", "Pantarlih"
    # The election supervisor (SPEC 2): Bawaslu Kab/Kota, Panwaslu Kecamatan, Panwaslu
    # Kelurahan/Desa. Reads everything of its area, acts only on its own saran perbaikan.
    BAWASLU = "bawaslu", "Bawaslu"


def bawaslu_label(area_code: str | None) -> str:
    """The supervisor's body at the level of its area: Bawaslu Kab/Kota at a regency,
    Panwaslu Kecamatan (Panwaslu Distrik in Papua) at a district, Panwaslu Kelurahan/Desa
    (PKD) at a village."""
    code = area_code or ""
    depth = code.count(".") + 1 if code else 0
    if depth == 3:
        return "Panwaslu Distrik" if code.startswith("9") else "Panwaslu Kecamatan"
    if depth == 4:
        return "Panwaslu Kelurahan/Desa (PKD)"
    return "Bawaslu Kab/Kota"


def role_label(role: str, area_code: str | None) -> str:
    """How officers name a role in an area: a ppk in Papua is the PPD (SPEC 3), a bawaslu
    user is named by the supervisor's body at its level."""
    if role == Role.PPK and (area_code or "").startswith("9"):
        return "PPD"
    if role == Role.BAWASLU and area_code:
        return bawaslu_label(area_code)
    return Role(role).label if role in Role.values else role


# The level a role works at (SPEC 2); the supervisor's first (its other levels: ROLE_LEVELS).
ROLE_LEVEL = {
    Role.KPU: Area.Level.REGENCY,
    Role.PPK: Area.Level.DISTRICT,
    Role.PPS: Area.Level.VILLAGE,
    Role.PANTARLIH: Area.Level.TPS,
    Role.BAWASLU: Area.Level.REGENCY,
}
# Every level a role may hold an account at: the supervisor has a body at three levels.
ROLE_LEVELS: dict[str, tuple[int, ...]] = {role: (level,) for role, level in ROLE_LEVEL.items()}
ROLE_LEVELS[Role.BAWASLU] = (Area.Level.REGENCY, Area.Level.DISTRICT, Area.Level.VILLAGE)


def role_levels_label(role: str) -> str:
    """`Kabupaten/Kota`, or for the supervisor `Kabupaten/Kota, Kecamatan atau Kelurahan/Desa`."""
    labels = [str(Area.Level(level).label) for level in ROLE_LEVELS[role]]
    if len(labels) == 1:
        return labels[0]
    return ", ".join(labels[:-1]) + " atau " + labels[-1]


class User(AbstractUser):
    """A person with one role in one area. Superusers and staff (support, the admin) have
    neither: an account of the admin is never one the app's account pages can reach."""

    # Plain ASCII (SPEC 5): no Cyrillic look-alike of `pps-…`, no right-to-left or zero-width
    # characters in a name officers read out and type.
    username_validator = ASCIIUsernameValidator()
    username = models.CharField(
        _("username"),
        max_length=150,
        unique=True,
        help_text=_("Huruf Latin, angka dan @ . + - _ saja."),
        validators=[username_validator],
        error_messages={"unique": _("Nama pengguna ini tidak dapat dipakai; pilih yang lain.")},
    )
    role = models.CharField(max_length=16, choices=Role.choices, blank=True)
    area = models.ForeignKey(
        Area, null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    phone = models.CharField(max_length=32, blank=True)
    # A generated one-time password (account pages, rosters, add_user without --password) must
    # be replaced by the user's own before anything else (kpu.middleware.PasswordChangeMiddleware).
    must_change_password = models.BooleanField(default=False)
    # Raised when the account is deactivated: every session made before no longer verifies
    # (get_session_auth_hash), so reactivating the account does not bring them back.
    session_generation = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role="", area__isnull=True)
                | (~models.Q(role="") & models.Q(area__isnull=False)),
                name="kpu_user_role_with_area",
            ),
            # A role makes an account manageable by a KPU or PPS: never one of the admin's.
            models.CheckConstraint(
                condition=models.Q(role="") | models.Q(is_superuser=False, is_staff=False),
                name="kpu_user_no_role_for_admins",
                violation_error_message=_(
                    "Akun superuser atau staf tidak boleh punya peran dan wilayah: buat akun "
                    "terpisah untuk pekerjaan di wilayah."
                ),
            ),
        ]

    def _get_session_auth_hash(self, secret=None):
        # Django's own hash (of the password hash) for generation 0, so deploying this logs
        # nobody out; a later generation is mixed in, ending every older session at once.
        value = self.password
        if self.session_generation:
            value = f"{self.password}:{self.session_generation}"
        return salted_hmac(
            "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash",
            value,
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username

    @property
    def role_label(self) -> str:
        """The role as shown: `KPU`, `PPK` (`PPD` in Papua), `PPS`, `Pantarlih`."""
        return role_label(self.role, self.area_id) if self.role else ""


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class DeviceToken(models.Model):
    """A pantarlih device's bearer token. Only the SHA-256 of the token is kept."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8, help_text="First characters, to tell tokens apart.")
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    app_version = models.CharField(max_length=40, blank=True)

    def __str__(self) -> str:
        return f"{self.user.username} {self.prefix}…"

    @classmethod
    def issue(cls, user: User) -> tuple["DeviceToken", str]:
        raw = secrets.token_urlsafe(32)
        token = cls.objects.create(user=user, key_hash=hash_token(raw), prefix=raw[:8])
        return token, raw


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("The audit log is append-only.")

    def delete(self):
        raise PermissionError("The audit log is append-only.")


class AuditEntry(models.Model):
    """Append-only record of who did what (verifications, transitions, reveals, accounts)."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    role = models.CharField(max_length=16, blank=True)
    area_code = models.CharField(max_length=20, db_index=True)
    action = models.CharField(max_length=40)
    target = models.CharField(max_length=64, blank=True)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name_plural = "audit entries"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("The audit log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("The audit log is append-only.")


# A NIK or NKK is 16 digits; anything that looks like one is stored masked (SPEC 10).
SIXTEEN_DIGITS = re.compile(r"(?<!\d)\d{16}(?!\d)")


def mask_personal(value):
    """`value` with every 16-digit run in its text masked as KPU publishes it, at any depth.

    The audit log is kept forever and read by more people than a reveal is for: an approved
    correction of a NIK stored the old and the new in full (issue 15 item 3). Masking here, the
    one door into the log, covers every caller, present and future; the full NIK stays only
    on the voter row, behind the logged reveal.
    """
    if isinstance(value, str):
        return SIXTEEN_DIGITS.sub(lambda m: mask_nik(m.group()), value) if value else value
    if isinstance(value, dict):
        return {k: mask_personal(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_personal(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool) and len(str(abs(value))) == 16:
        return mask_nik(str(value))
    return value


def audit(*, user, action: str, area_code: str, target: str = "", note: str = "", **data):
    data = mask_personal(data)
    note = mask_personal(note)
    target = mask_personal(target)
    return AuditEntry.objects.create(
        user=user if user is not None and user.pk else None,
        role=getattr(user, "role", "")
        or ("superuser" if getattr(user, "is_superuser", False) else ""),
        area_code=area_code,
        action=action,
        target=target,
        note=note,
        data=data,
    )
