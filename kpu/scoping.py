"""One place decides what a user may see (SPEC 2).

Area codes nest, so a user's area code is a prefix of every code in their scope. Everything
outside it is answered 404, never 403: an outsider must not learn that an area exists.
"""

import re

from django.http import Http404

from kpu.lookups import code_within
from kpu.models import Area, Role, User

# What an area code looks like: "62", "62.71", ..., "62.71.01.1001.007". Anything else (a NUL
# byte, another script's digits, 10 KB of text) is no area, answered 404 without a query.
CODE = re.compile(r"[0-9]{2,4}(\.[0-9]{2,4}){0,4}")


def in_scope(user: User, code: str) -> bool:
    """May this user see the area with this code?"""
    if not CODE.fullmatch(code):
        return False
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser and not user.role:
        return True
    if not user.area_id:
        return False
    own = user.area_id
    return code_within(code, own)


def area_for_user_or_404(user: User, code: str, *, levels: tuple[int, ...] | None = None) -> Area:
    """The area with this code if the user may see it (and it is of one of `levels`), else 404."""
    if not in_scope(user, code):
        raise Http404("Wilayah tidak ditemukan.")
    try:
        area = Area.objects.get(code=code)
    except Area.DoesNotExist:
        raise Http404("Wilayah tidak ditemukan.") from None
    if levels is not None and area.level not in levels:
        raise Http404("Wilayah tidak ditemukan.")
    return area


def area_path_for_user_or_404(user: User, code: str) -> list[Area]:
    """The area with this code and its ancestors, the province first and the area last, in one
    query, if the user may see the area; else 404 (as `area_for_user_or_404`). The ancestors
    are for breadcrumbs: the user may see none of them but their own area's."""
    if not in_scope(user, code):
        raise Http404("Wilayah tidak ditemukan.")
    parts = code.split(".")
    codes = [".".join(parts[:i]) for i in range(1, len(parts) + 1)]
    found = {a.code: a for a in Area.objects.filter(code__in=codes)}
    if code not in found:
        raise Http404("Wilayah tidak ditemukan.")
    return [found[c] for c in codes if c in found]


def home_code(user: User) -> str | None:
    """The area a user lands on: their own."""
    return user.area_id


def can_act(user: User, role: Role, area: Area) -> bool:
    """Does the user hold `role` over `area` (their own area or an ancestor of it)?"""
    return user.role == role and in_scope(user, area.code)


# Who may reveal one voter's full NIK (with a reason, audited; SPEC 10): the committees that
# work with the list. Pantarlih work from the masked list; the supervisor (bawaslu) reads
# everything of its area with NIK masked and never reveals (SPEC 2).
NIK_REVEAL_ROLES = (Role.PPS, Role.PPK, Role.KPU)


def may_reveal_nik(user: User, village_code: str) -> bool:
    return user.role in NIK_REVEAL_ROLES and in_scope(user, village_code)


# Accounts (issue 7). Who may manage whose account: a KPU its regency (every role, its own
# included, because a KPU's secretariat registers new commissioners' staff too); a PPS the
# pantarlih of its own village only (the 2024 rosters came from the PPS); PPK and pantarlih
# nobody. Giving a role above one's own, or an area outside one's own, is impossible because
# the roles and areas a manager may give are exactly the ones below.
# The supervisor's accounts (Bawaslu, Panwaslu) are created by the KPU too (SPEC 2, issue 18).
MANAGED_ROLES: dict[str, tuple[Role, ...]] = {
    Role.KPU: (Role.KPU, Role.PPK, Role.PPS, Role.PANTARLIH, Role.BAWASLU),
    Role.PPS: (Role.PANTARLIH,),
}


def managed_roles(user: User) -> tuple[Role, ...]:
    """The roles whose accounts this user may see, create and change (none: no /pengguna/)."""
    if not user.is_authenticated or not user.is_active:
        return ()
    if user.is_superuser and not user.role:
        return tuple(Role)
    if not user.area_id:
        return ()
    return MANAGED_ROLES.get(user.role, ())


def may_assign(user: User, role: str, area: Area) -> bool:
    """May this user give an account `role` in `area`?"""
    return role in managed_roles(user) and in_scope(user, area.code)


def may_manage(user: User, account: User) -> bool:
    """May this user see and change `account`? Superuser and staff accounts are the admin's:
    a KPU that could reset one's password would hold the keys to /admin/ (issue 15)."""
    if account.is_superuser or account.is_staff:
        return False
    return bool(account.role and account.area_id) and may_assign(user, account.role, account.area)


def account_for_user_or_404(user: User, pk: int, *, queryset=None) -> User:
    """The account with this id if the user may manage it, else 404 (as for any outsider)."""
    if not managed_roles(user):
        raise Http404("Pengguna tidak ditemukan.")
    qs = queryset if queryset is not None else User.objects.select_related("area__parent")
    try:
        account = qs.get(pk=pk)
    except User.DoesNotExist:
        raise Http404("Pengguna tidak ditemukan.") from None
    if not may_manage(user, account):
        raise Http404("Pengguna tidak ditemukan.")
    return account
