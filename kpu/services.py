"""State changes of the kpu app: elections and accounts. Each raises DomainError with a message
a user can act on."""

import datetime as dt

from django.db import transaction

from kpu.models import ROLE_LEVEL, Area, DeviceToken, Pemilihan, Role, User, audit


class DomainError(Exception):
    """A refusal whose message is shown to the user as is."""


def pemilihan_create(
    *, regency: Area, name: str, voting_day: dt.date, coklit_start: dt.date, coklit_end: dt.date
) -> tuple[Pemilihan, bool]:
    """Create the election of a regency, or update the dates of the one with this name."""
    if regency.level != Area.Level.REGENCY:
        raise DomainError(f"{regency.code} bukan kabupaten/kota.")
    if coklit_start > coklit_end:
        raise DomainError("Awal coklit harus sebelum atau sama dengan akhir coklit.")
    if coklit_end > voting_day:
        raise DomainError("Coklit harus selesai sebelum hari pemungutan suara.")
    pemilihan, created = Pemilihan.objects.update_or_create(
        regency=regency,
        name=name,
        defaults={"voting_day": voting_day, "coklit_start": coklit_start, "coklit_end": coklit_end},
    )
    return pemilihan, created


@transaction.atomic
def user_create(
    *,
    username: str,
    role: str,
    area_code: str,
    password: str | None = None,
    full_name: str = "",
    phone: str = "",
    by: User | None = None,
) -> User:
    """Create an account with one role in one area of the level that role works at."""
    try:
        role = Role(role)
    except ValueError:
        raise DomainError(
            f"Peran '{role}' tidak dikenal: pilih kpu, ppk, pps atau pantarlih."
        ) from None
    try:
        area = Area.objects.get(code=area_code)
    except Area.DoesNotExist:
        raise DomainError(f"Wilayah {area_code} tidak ditemukan.") from None
    if area.level != ROLE_LEVEL[role]:
        raise DomainError(
            f"Peran {role.label} bekerja di tingkat {Area.Level(ROLE_LEVEL[role]).label}, "
            f"sedangkan {area.code} adalah {area.kind}."
        )
    if User.objects.filter(username=username).exists():
        raise DomainError(f"Nama pengguna '{username}' sudah dipakai.")
    first, _, last = full_name.partition(" ")
    user = User(
        username=username, role=role, area=area, first_name=first, last_name=last, phone=phone
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    audit(user=by, action="user_create", area_code=area.code, target=username, role_given=role)
    return user


def token_issue(*, user: User, by: User | None = None) -> str:
    """A new bearer token for a pantarlih's device; returns the token, keeps only its hash."""
    if user.role != Role.PANTARLIH:
        raise DomainError("Token perangkat hanya untuk pantarlih.")
    token, raw = DeviceToken.issue(user)
    audit(
        user=by,
        action="token_issue",
        area_code=user.area_id,
        target=user.username,
        prefix=token.prefix,
    )
    return raw
