"""One place decides what a user may see (SPEC 2).

Area codes nest, so a user's area code is a prefix of every code in their scope. Everything
outside it is answered 404, never 403: an outsider must not learn that an area exists.
"""

from django.http import Http404

from kpu.models import Area, Role, User


def in_scope(user: User, code: str) -> bool:
    """May this user see the area with this code?"""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser and not user.role:
        return True
    if not user.area_id:
        return False
    own = user.area_id
    return code == own or code.startswith(own + ".")


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


def home_code(user: User) -> str | None:
    """The area a user lands on: their own."""
    return user.area_id


def can_act(user: User, role: Role, area: Area) -> bool:
    """Does the user hold `role` over `area` (their own area or an ancestor of it)?"""
    return user.role == role and in_scope(user, area.code)
