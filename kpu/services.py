"""State changes of the kpu app: elections and accounts. Each raises DomainError with a message
a user can act on."""

import datetime as dt
import re
import secrets

from axes.utils import reset as axes_reset
from django.contrib.auth.hashers import PBKDF2PasswordHasher, get_hasher, make_password
from django.contrib.auth.validators import ASCIIUsernameValidator
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kpu import tabular
from kpu.models import (
    ROLE_LEVELS,
    Area,
    DeviceToken,
    Pemilihan,
    Role,
    User,
    audit,
    role_levels_label,
)
from kpu.scoping import in_scope, managed_roles, may_manage
from kpu.tabular import RowError


class DomainError(Exception):
    """A refusal whose message is shown to the user as is."""


class Refused(DomainError):
    """The actor may see the thing but their role may not do this (a 403, not a 404)."""


def pemilihan_create(
    *,
    regency: Area,
    name: str,
    voting_day: dt.date,
    coklit_start: dt.date,
    coklit_end: dt.date,
    tanggapan_start: dt.date | None = None,
    tanggapan_end: dt.date | None = None,
) -> tuple[Pemilihan, bool]:
    """Create the election of a regency, or update the dates of the one with this name.

    The response period (SPEC 8b) is given whole or not at all; without it, it is the ten days
    after the KPU's DPS pleno."""
    if regency.level != Area.Level.REGENCY:
        raise DomainError(f"{regency.code} bukan kabupaten/kota.")
    if coklit_start > coklit_end:
        raise DomainError("Awal coklit harus sebelum atau sama dengan akhir coklit.")
    if coklit_end > voting_day:
        raise DomainError("Coklit harus selesai sebelum hari pemungutan suara.")
    if (tanggapan_start is None) != (tanggapan_end is None):
        raise DomainError("Masa tanggapan perlu tanggal awal dan akhir (atau keduanya kosong).")
    if tanggapan_start is not None:
        if tanggapan_start > tanggapan_end:
            raise DomainError("Awal masa tanggapan harus sebelum atau sama dengan akhirnya.")
        if tanggapan_start <= coklit_end or tanggapan_end > voting_day:
            raise DomainError(
                "Masa tanggapan harus sesudah coklit dan sebelum hari pemungutan suara."
            )
    pemilihan, created = Pemilihan.objects.update_or_create(
        regency=regency,
        name=name,
        defaults={
            "voting_day": voting_day,
            "coklit_start": coklit_start,
            "coklit_end": coklit_end,
            "tanggapan_start": tanggapan_start,
            "tanggapan_end": tanggapan_end,
        },
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
    must_change_password: bool = False,
) -> User:
    """Create an account with one role in one area of the level that role works at: the
    operator's way (add_user), with its own checks; the account pages and the roster import
    check through `account_problems`. All three build and log the account alike
    (`_new_account`, `_audit_created`).

    Any plain ASCII username (SPEC 5: this is the operator's command, not the account pages,
    so a role's prefix is no refusal here). `must_change_password` for a generated one."""
    try:
        role = Role(role)
    except ValueError:
        raise DomainError(
            f"Peran '{role}' tidak dikenal: pilih kpu, ppk, pps, pantarlih atau bawaslu."
        ) from None
    try:
        area = Area.objects.get(code=area_code)
    except Area.DoesNotExist:
        raise DomainError(f"Wilayah {area_code} tidak ditemukan.") from None
    if area.level not in ROLE_LEVELS[role]:
        raise DomainError(
            f"Peran {role.label} bekerja di tingkat {role_levels_label(role)}, "
            f"sedangkan {area.code} adalah {area.kind}."
        )
    try:
        ASCIIUsernameValidator()(username)
    except ValidationError:
        raise DomainError(
            f"Nama pengguna '{username}' tidak sah: hanya huruf Latin, angka dan @ . + - _."
        ) from None
    if User.objects.filter(username__iexact=username).exists():
        raise DomainError(f"Nama pengguna '{username}' sudah dipakai.")
    user = _new_account(
        username=username,
        role=role,
        area=area,
        full_name=full_name,
        phone=phone,
        # The operator's own password at the full cost; none is an unusable one.
        password_hash=make_password(password or None),
        must_change_password=must_change_password,
    )
    user.save()
    _audit_created(user, by=by, via="add_user")
    return user


def token_issue(*, user: User, by: User | None = None) -> str:
    """A new bearer token for a pantarlih's device; returns the token, keeps only its hash."""
    if user.role != Role.PANTARLIH:
        raise DomainError("Token perangkat hanya untuk pantarlih.")
    _token, raw = _issue_token(user, by=by)
    return raw


def _issue_token(account: User, *, by: User | None, **logged) -> tuple[DeviceToken, str]:
    """A device token for the account, logged: issue_token's (the operator's) and the account
    pages' pairing (device_pair) alike. Returns the row and the raw token, shown once."""
    token, raw = DeviceToken.issue(account)
    audit(
        user=by,
        action="token_issue",
        area_code=account.area_id,
        target=account.username,
        prefix=token.prefix,
        **logged,
    )
    return token, raw


# ---------------------------------------------------------------------------------------------
# Accounts and devices (issue 7). Who may act on whom is decided in kpu/scoping.py
# (managed_roles, may_assign, may_manage); these functions re-check it inside the transaction,
# on the locked row, so a page opened before a change cannot act on stale rights.

# Letters and digits that cannot be mistaken for one another when read aloud or copied from a
# printed slip (no 0/o, 1/l/i).
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
# Generated passwords carry 12 × log2(31) ≈ 59 random bits, so a lighter PBKDF2 cost keeps a
# 400-row roster import to seconds (at the default 1.5M iterations one hash costs 0.36 s here,
# and 400 of them would outlast any request timeout) while guessing stays out of reach. Django
# re-hashes at the full cost on the account's first login (PBKDF2PasswordHasher.must_update).
GENERATED_PASSWORD_ITERATIONS = 30_000
PHONE_RE = re.compile(r"^\+?\d{8,15}$")


def generate_password() -> str:
    """A one-time password, shown once to the officer who made it: `abcd-efgh-jkmn`."""
    chars = "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(12))
    return f"{chars[:4]}-{chars[4:8]}-{chars[8:]}"


def _hash_generated_password(raw: str) -> str:
    hasher = get_hasher()
    if isinstance(hasher, PBKDF2PasswordHasher):
        return hasher.encode(raw, hasher.salt(), iterations=GENERATED_PASSWORD_ITERATIONS)
    return make_password(raw)


def normalize_phone(value) -> str:
    """`0812-3456 7890` → `081234567890`. Excel drops the leading zero of a number typed as a
    number (81234567890), so a bare mobile number starting with 8 gets it back."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    phone = re.sub(r"[\s\-.()]", "", str(value or "")).strip()
    if phone.startswith("8") and phone.isdigit():
        phone = "0" + phone
    return phone


def _split_name(full_name: str) -> tuple[str, str]:
    first, _sep, last = " ".join(full_name.split()).partition(" ")
    return first[:150], last[:150]


def _new_account(
    *,
    username: str,
    role: str,
    area: Area,
    full_name: str,
    phone: str,
    password_hash: str,
    must_change_password: bool,
) -> User:
    """An account as every way of making one builds it (add_user, the account form, the
    roster import), not yet saved: each checks what it must first."""
    first, last = _split_name(full_name)
    return User(
        username=username,
        role=role,
        area=area,
        first_name=first,
        last_name=last,
        phone=phone,
        password=password_hash,
        must_change_password=must_change_password,
    )


def _audit_created(user: User, *, by: User | None, via: str) -> None:
    audit(
        user=by,
        action="user_create",
        area_code=user.area_id,
        target=user.username,
        role_given=user.role,
        name=user.get_full_name(),
        via=via,
    )


def generated_username(role: str, area_code: str, taken: set[str]) -> str:
    """`pantarlih-62.71.01.1001.001`, as in the demo; `-2`, `-3` … when taken (a TPS of over
    400 voters has two pantarlih). Adds the name to `taken`."""
    base = f"{role}-{area_code}"
    name, n = base, 1
    while name.lower() in taken:
        n += 1
        name = f"{base}-{n}"
    taken.add(name.lower())
    return name


def _taken_usernames(*, roles: set[str], scope: str) -> set[str]:
    """Existing usernames (lower-cased) a generated `role-code` name could clash with: one
    query per role, whatever the size of the roster."""
    taken: set[str] = set()
    for role in roles:
        prefix = f"{role}-{scope}"
        taken |= {
            u.lower()
            for u in User.objects.filter(username__istartswith=prefix).values_list(
                "username", flat=True
            )
        }
    return taken


def account_problems(
    *,
    by: User,
    full_name: str,
    role: str,
    area: Area | None,
    area_code: str,
    phone: str,
    username: str = "",
) -> list[tuple[str, str]]:
    """What is wrong with an account as given, as (column, reason) pairs; empty when valid.

    The columns are the roster's (`nama`, `peran`, `kode_wilayah`, `telepon`, `username`), so
    the same checks serve the form and the roster import.
    """
    problems = []
    if not full_name.strip():
        problems.append(("nama", _("Nama wajib diisi.")))
    elif len(full_name) > 150:
        problems.append(("nama", _("Nama terlalu panjang (paling banyak 150 huruf).")))
    allowed = managed_roles(by)
    if role not in Role.values:
        problems.append(
            (
                "peran",
                _("Peran '%(role)s' tidak dikenal: pilih %(allowed)s.")
                % {"role": role, "allowed": ", ".join(allowed)},
            ),
        )
    elif role not in allowed:
        problems.append(
            (
                "peran",
                _("Anda tidak dapat memberi peran %(role)s; Anda dapat memberi: %(allowed)s.")
                % {"role": Role(role).label, "allowed": ", ".join(allowed)},
            ),
        )
    # Outside the manager's area reads like a code that does not exist: no hint it does.
    if area is None or not in_scope(by, area.code):
        problems.append(
            (
                "kode_wilayah",
                _("Wilayah %(code)s tidak ditemukan di wilayah Anda.")
                % {"code": area_code or "(kosong)"},
            ),
        )
    elif role in Role.values and area.level not in ROLE_LEVELS[role]:
        problems.append(
            (
                "kode_wilayah",
                _(
                    "Peran %(role)s bekerja di tingkat %(level)s, sedangkan %(code)s "
                    "adalah %(kind)s."
                )
                % {
                    "role": Role(role).label,
                    "level": role_levels_label(role),
                    "code": area.code,
                    "kind": area.kind,
                },
            ),
        )
    if phone and not PHONE_RE.match(phone):
        problems.append(
            (
                "telepon",
                _("Nomor telepon %(phone)s tidak sah: 8–15 angka, boleh diawali +.")
                % {"phone": phone},
            ),
        )
    if username:
        try:
            ASCIIUsernameValidator()(username)
        except ValidationError:
            problems.append(
                (
                    "username",
                    _("Nama pengguna hanya boleh berisi huruf Latin, angka dan @ . + - _."),
                ),
            )
        if len(username) > 150:
            problems.append(("username", _("Nama pengguna terlalu panjang.")))
        elif reserved_username(username, role):
            # The same words as "taken": which names exist elsewhere is no one's business here.
            problems.append(("username", username_unavailable(username)))
    return problems


# What a generated or an officer's name starts with shows its role (`pps-62.71.01.1001`):
# a name with another role's prefix would pass for that role's account (`kpu-62.71-admin`
# made by a PPS), so the account pages refuse it. add_user (the operator's) takes any name.
RESERVED_PREFIXES = (*Role.values, "bawaslu", "panwaslu", "admin", "root", "staff", "superuser")


def reserved_username(username: str, role: str) -> bool:
    """Does `username` start with the prefix of a role other than `role`, or an admin word?"""
    name = username.lower()
    for prefix in RESERVED_PREFIXES:
        # The supervisor's accounts may be named after its body (`panwaslu-...`) too.
        if prefix == role or (role == Role.BAWASLU and prefix == "panwaslu"):
            continue
        if name.startswith(prefix) and not name[len(prefix) : len(prefix) + 1].isalpha():
            return True
    return False


def username_unavailable(username: str) -> str:
    return _("Nama pengguna '%(u)s' tidak dapat dipakai; pilih yang lain.") % {"u": username}


def _active_people(codes) -> dict[tuple[str, str, str], str]:
    """(full name lower-cased, role, area code) → username of the active accounts in these
    areas: a resubmitted form or a roster uploaded twice must not make a second account."""
    people = {}
    for first, last, role, area_id, username in User.objects.filter(
        is_active=True, area_id__in=list(codes)
    ).values_list("first_name", "last_name", "role", "area_id", "username"):
        people[(f"{first} {last}".strip().lower(), role, area_id)] = username
    return people


@transaction.atomic
def account_create(
    *,
    by: User,
    full_name: str,
    role: str,
    area_code: str,
    phone: str = "",
    username: str = "",
) -> tuple[User, str]:
    """Create an account in the manager's scope with a generated one-time password.

    Returns the account and the password, which is not kept anywhere in clear: the caller
    shows it once.
    """
    created, errors = _create_accounts(
        by=by,
        rows=[
            (
                0,
                {
                    "nama": full_name,
                    "peran": role,
                    "kode_wilayah": area_code,
                    "telepon": phone,
                    "username": username,
                },
            )
        ],
        via="form",
    )
    if errors:
        raise DomainError(" ".join(e.message for e in errors))
    return created[0]


class RosterInvalid(DomainError):
    """The roster has bad rows: nothing was created. `errors` has one RowError per problem,
    `rows` the same grouped by row (row number, its errors), `lines` one line per bad row."""

    def __init__(self, errors: list[RowError]):
        self.errors = errors
        self.rows = tabular.by_row(errors)
        self.lines = tabular.row_lines(errors)
        super().__init__(
            _("%(n)s baris bermasalah; tidak ada akun yang dibuat. Perbaiki lalu unggah lagi.")
            % {"n": len(self.rows)}
        )


ROSTER_MAX_ROWS = 2000


@transaction.atomic
def roster_import(*, by: User, rows: list[tuple[int, dict]]) -> list[tuple[User, str]]:
    """Create every account of a roster, or none: raises RosterInvalid with the RowErrors of
    the bad rows. `rows` are (row number in the file, {column: value}) as read by kpu.roster.

    Returns (account, one-time password) per row, in the file's order.
    """
    if not rows:
        raise DomainError(_("Berkas tidak berisi satu baris data pun di bawah judul kolom."))
    if len(rows) > ROSTER_MAX_ROWS:
        raise DomainError(
            _("Berkas berisi %(n)s baris; paling banyak %(max)s per unggahan. Bagi berkasnya.")
            % {"n": len(rows), "max": ROSTER_MAX_ROWS}
        )
    created, errors = _create_accounts(by=by, rows=rows, via="roster")
    if errors:
        raise RosterInvalid(errors)
    audit(
        user=by,
        action="roster_import",
        area_code=by.area_id or "",
        note=f"{len(created)} akun",
        usernames=[u.username for u, _pw in created],
    )
    return created


def _create_accounts(
    *, by: User, rows: list[tuple[int, dict]], via: str
) -> tuple[list[tuple[User, str]], list[RowError]]:
    """Check all rows first (a few queries for the whole file), then create them all.

    Must run inside transaction.atomic: a clash found while writing undoes the whole batch.
    """
    codes = {str(r.get("kode_wilayah") or "").strip() for _n, r in rows}
    areas = Area.objects.in_bulk([c for c in codes if c])
    given = Q()
    for _n, r in rows:
        if str(r.get("username") or "").strip():
            given |= Q(username__iexact=str(r["username"]).strip())
    existing_given = (
        {u.lower() for u in User.objects.filter(given).values_list("username", flat=True)}
        if given
        else set()
    )
    active_people = _active_people(areas)
    errors: list[RowError] = []
    plans = []
    seen_people: dict[tuple, int] = {}
    seen_usernames: dict[str, int] = {}
    for number, row in rows:
        full_name = " ".join(str(row.get("nama") or "").split())
        role = str(row.get("peran") or "").strip().lower()
        code = str(row.get("kode_wilayah") or "").strip()
        phone = normalize_phone(row.get("telepon"))
        username = str(row.get("username") or "").strip()
        area = areas.get(code)
        problems = account_problems(
            by=by,
            full_name=full_name,
            role=role,
            area=area,
            area_code=code,
            phone=phone,
            username=username,
        )
        if username:
            if username.lower() in existing_given and not any(
                c == "username" for c, _r in problems
            ):
                problems.append(("username", username_unavailable(username)))
            elif username.lower() in seen_usernames:
                problems.append(
                    (
                        "username",
                        _("Nama pengguna '%(u)s' sudah ada di baris %(n)s.")
                        % {"u": username, "n": seen_usernames[username.lower()]},
                    )
                )
            seen_usernames.setdefault(username.lower(), number)
        if not problems:
            person = (full_name.lower(), role, code)
            duplicate = active_people.get(person)
            if duplicate is not None:
                problems.append(
                    (
                        "nama",
                        _("%(name)s sudah punya akun aktif sebagai %(role)s di %(code)s: %(u)s.")
                        % {
                            "name": full_name,
                            "role": Role(role).label,
                            "code": code,
                            "u": duplicate,
                        },
                    )
                )
            elif person in seen_people:
                problems.append(
                    (
                        "nama",
                        _(
                            "Orang yang sama dengan peran dan wilayah yang sama sudah ada di "
                            "baris %(n)s."
                        )
                        % {"n": seen_people[person]},
                    )
                )
            seen_people.setdefault(person, number)
        if problems:
            errors.extend(RowError(number, column, message) for column, message in problems)
        else:
            plans.append((full_name, role, area, phone, username))
    if errors:
        return [], errors

    taken = _taken_usernames(
        roles={role for _f, role, _a, _p, u in plans if not u}, scope=by.area_id or ""
    )
    taken |= {u.lower() for *_rest, u in plans if u}
    created = []
    for full_name, role, area, phone, username in plans:
        password = generate_password()
        user = _new_account(
            username=username or generated_username(role, area.code, taken),
            role=role,
            area=area,
            full_name=full_name,
            phone=phone,
            password_hash=_hash_generated_password(password),
            must_change_password=True,
        )
        created.append((user, password))
    try:
        with transaction.atomic():
            User.objects.bulk_create([u for u, _pw in created])
    except IntegrityError:
        raise DomainError(
            _("Nama pengguna yang sama baru saja dibuat orang lain; unggah atau simpan lagi.")
        ) from None
    for user, _pw in created:
        _audit_created(user, by=by, via=via)
    return created, []


def _locked_account(by: User, account: User) -> User:
    account = User.objects.select_for_update(of=("self",)).select_related("area").get(pk=account.pk)
    if not may_manage(by, account):
        raise DomainError(_("Anda tidak berwenang atas akun ini."))
    return account


def _revoke_active_tokens(account: User) -> list[str]:
    tokens = DeviceToken.objects.select_for_update().filter(user=account, revoked_at__isnull=True)
    prefixes = [t.prefix for t in tokens]
    tokens.update(revoked_at=timezone.now())
    return prefixes


@transaction.atomic
def account_update(
    *, by: User, account: User, full_name: str, phone: str, role: str, area_code: str
) -> User:
    """Change an account's name, phone, role or area.

    A new role or area revokes the account's devices: a phone paired for one TPS must not go
    on syncing under another (the officer pairs it again for the new TPS).
    """
    account = _locked_account(by, account)
    full_name = " ".join(full_name.split())
    phone = normalize_phone(phone)
    area = Area.objects.filter(code=area_code.strip()).first()
    problems = account_problems(
        by=by, full_name=full_name, role=role, area=area, area_code=area_code, phone=phone
    )
    if problems:
        raise DomainError(" ".join(reason for _col, reason in problems))
    moved = role != account.role or area.code != account.area_id
    if moved and account.pk == by.pk:
        raise DomainError(
            _("Anda tidak dapat mengubah peran atau wilayah akun Anda sendiri; minta rekan KPU.")
        )
    first, last = _split_name(full_name)
    before = {
        "nama": account.get_full_name(),
        "telepon": account.phone,
        "peran": account.role,
        "wilayah": account.area_id,
    }
    account.first_name, account.last_name, account.phone = first, last, phone
    account.role, account.area = role, area
    account.save(update_fields=["first_name", "last_name", "phone", "role", "area"])
    after = {
        "nama": account.get_full_name(),
        "telepon": account.phone,
        "peran": account.role,
        "wilayah": account.area_id,
    }
    changes = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    if not changes:
        return account
    revoked = _revoke_active_tokens(account) if moved else []
    audit(
        user=by,
        action="user_update",
        area_code=account.area_id,
        target=account.username,
        changes=changes,
        tokens_revoked=revoked,
    )
    return account


@transaction.atomic
def account_deactivate(*, by: User, account: User, note: str = "") -> User:
    """Stop an account: no login, no sync (its devices are revoked). The row stays, so the
    audit log and the coklit records keep its name; it can be activated again."""
    account = _locked_account(by, account)
    if account.pk == by.pk:
        raise DomainError(_("Anda tidak dapat menonaktifkan akun Anda sendiri."))
    if not account.is_active:
        raise DomainError(_("Akun ini sudah nonaktif."))
    account.is_active = False
    # Every session of the account ends now and stays ended, even once it is activated again
    # (User._get_session_auth_hash): whoever held one must log in anew.
    account.session_generation += 1
    account.save(update_fields=["is_active", "session_generation"])
    revoked = _revoke_active_tokens(account)
    audit(
        user=by,
        action="user_deactivate",
        area_code=account.area_id,
        target=account.username,
        note=note.strip(),
        tokens_revoked=revoked,
    )
    return account


@transaction.atomic
def account_activate(*, by: User, account: User, note: str = "") -> User:
    """Let a deactivated account log in again. Its old devices stay revoked: pair anew."""
    account = _locked_account(by, account)
    if account.is_active:
        raise DomainError(_("Akun ini sudah aktif."))
    account.is_active = True
    account.save(update_fields=["is_active"])
    audit(
        user=by,
        action="user_activate",
        area_code=account.area_id,
        target=account.username,
        note=note.strip(),
    )
    return account


@transaction.atomic
def account_password_reset(*, by: User, account: User) -> str:
    """Give the account a new generated password (returned once, kept only as a hash) and lift
    a login lockout, which is usually why the officer asks."""
    account = _locked_account(by, account)
    if account.pk == by.pk:
        raise DomainError(
            _("Sandi akun Anda sendiri tidak direset di sini; minta rekan KPU atau admin.")
        )
    if not account.is_active:
        raise DomainError(_("Akun ini nonaktif; aktifkan dulu, lalu reset sandinya."))
    password = generate_password()
    account.password = _hash_generated_password(password)
    account.must_change_password = True
    account.save(update_fields=["password", "must_change_password"])
    axes_reset(username=account.username)
    audit(user=by, action="user_password_reset", area_code=account.area_id, target=account.username)
    return password


@transaction.atomic
def device_pair(*, by: User, account: User, revoke_others: bool = True) -> tuple[DeviceToken, str]:
    """A new bearer token for a pantarlih's phone. Returns the token row and the raw token,
    which is shown once (as text and QR code); only its SHA-256 is kept."""
    account = _locked_account(by, account)
    if account.role != Role.PANTARLIH:
        raise DomainError(_("Perangkat hanya dipasangkan ke akun pantarlih."))
    if not account.is_active:
        raise DomainError(_("Akun ini nonaktif; aktifkan dulu sebelum memasangkan perangkat."))
    revoked = _revoke_active_tokens(account) if revoke_others else []
    return _issue_token(account, by=by, tokens_revoked=revoked)


@transaction.atomic
def device_revoke(*, by: User, token: DeviceToken) -> DeviceToken:
    """Revoke a device: its next sync is refused (the API accepts only unrevoked tokens)."""
    # The account first, then its token: the same order as device_pair and the account
    # changes, so two officers acting at once wait for each other instead of deadlocking.
    account = _locked_account(by, token.user)
    token = DeviceToken.objects.select_for_update().get(pk=token.pk)
    token.user = account
    if token.revoked_at is not None:
        raise DomainError(_("Perangkat ini sudah dicabut."))
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit(
        user=by,
        action="token_revoke",
        area_code=token.user.area_id,
        target=token.user.username,
        prefix=token.prefix,
    )
    return token
