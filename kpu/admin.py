from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from kpu.models import Area, AuditEntry, DeviceToken, Pemilihan, User, mask_personal


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "first_name", "last_name", "role", "area", "is_active"]
    list_filter = ["role", "is_active", "is_superuser"]
    search_fields = ["username", "first_name", "last_name", "area__code"]
    raw_id_fields = ["area"]
    fieldsets = [
        *BaseUserAdmin.fieldsets,
        ("Peran", {"fields": ["role", "area", "phone", "must_change_password"]}),
    ]


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    raw_id_fields = ["parent"]


@admin.register(Pemilihan)
class PemilihanAdmin(admin.ModelAdmin):
    list_display = ["name", "regency", "voting_day", "coklit_start", "coklit_end"]
    raw_id_fields = ["regency"]


@admin.register(DeviceToken)
class DeviceTokenAdmin(admin.ModelAdmin):
    list_display = ["user", "prefix", "created_at", "revoked_at", "last_used_at", "app_version"]
    readonly_fields = ["key_hash", "prefix"]
    raw_id_fields = ["user"]


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the audit log is append-only, even for superusers."""

    list_display = ["at", "user", "role", "area_code", "action", "target"]
    list_filter = ["action", "role"]
    search_fields = ["area_code", "target", "note"]
    # Entries are masked when written (kpu.models.audit); entries written before that are
    # masked on display, so no full NIK or NKK shows here either way.
    exclude = ["data"]
    readonly_fields = ["data_masked"]

    @admin.display(description="data")
    def data_masked(self, obj):
        return mask_personal(obj.data)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
