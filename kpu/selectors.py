"""Reads for the kpu app's pages."""

from django.db.models import Count, F, Max, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from kpu.models import ROLE_LEVELS, Area, AuditEntry, DeviceToken, User
from kpu.scoping import managed_roles


def accounts_list(
    *, by: User, area_code: str = "", role: str = "", q: str = "", status: str = ""
) -> QuerySet[User]:
    """The accounts `by` may manage, filtered, with what the list shows of each: its area
    (and the village of a TPS), active devices, the device last seen and the TPS's last sync.

    One query for the page whatever its length (the annotations are joins, not per-row reads).
    """
    roles = managed_roles(by)
    # Superuser and staff accounts are the admin's (the database refuses them a role too).
    qs = User.objects.filter(role__in=roles, area__isnull=False, is_superuser=False, is_staff=False)
    if by.area_id:
        qs = qs.filter(area__code__within=by.area_id)
    if area_code:
        qs = qs.filter(area__code__within=area_code)
    if role in roles:
        qs = qs.filter(role=role)
    if status == "aktif":
        qs = qs.filter(is_active=True)
    elif status == "nonaktif":
        qs = qs.filter(is_active=False)
    for word in q.split()[:5]:
        qs = qs.filter(
            Q(username__icontains=word)
            | Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(phone__icontains=word)
            | Q(area__name__icontains=word)
        )
    return (
        qs.select_related("area__parent")
        .annotate(
            active_devices=Count("tokens", filter=Q(tokens__revoked_at__isnull=True)),
            device_seen_at=Max("tokens__last_used_at"),
            tps_last_sync_at=F("area__figures__last_sync_at"),
        )
        .order_by("area_id", "role", "username")
    )


def filter_areas(*, by: User) -> list[Area]:
    """The areas offered in the list's filter: the manager's own, its districts and villages
    (a TPS is found by typing its code or name in the search box)."""
    roles = managed_roles(by)
    if not roles or not by.area_id:
        return []
    return list(
        Area.objects.filter(
            code__within=by.area_id,
            level__lte=Area.Level.VILLAGE,
        ).order_by("code")
    )


def assignable_areas(*, by: User) -> list[Area]:
    """Areas `by` may give an account in (for the form's suggestions), with their parent."""
    levels = {level for r in managed_roles(by) for level in ROLE_LEVELS[r]}
    if not by.area_id:
        return []
    return list(
        Area.objects.filter(code__within=by.area_id, level__in=levels)
        .select_related("parent")
        .order_by("code")
    )


def account_devices(*, account: User) -> list[DeviceToken]:
    return list(DeviceToken.objects.filter(user=account).order_by("-created_at"))


ACCOUNT_ACTIONS = {
    "user_create": _("Akun dibuat"),
    "user_update": _("Akun diubah"),
    "user_deactivate": _("Dinonaktifkan"),
    "user_activate": _("Diaktifkan kembali"),
    "user_password_reset": _("Sandi direset"),
    "token_issue": _("Perangkat dipasangkan"),
    "token_revoke": _("Perangkat dicabut"),
}


def account_history(*, account: User, limit: int = 30) -> list[AuditEntry]:
    """The audit entries about this account (its username is the entries' target), each with
    a `label` to show instead of the action's code."""
    entries = list(
        AuditEntry.objects.filter(
            target=account.username, action__in=ACCOUNT_ACTIONS
        ).select_related("user")[:limit]
    )
    for entry in entries:
        entry.label = ACCOUNT_ACTIONS[entry.action]
    return entries
