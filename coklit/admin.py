from django.contrib import admin

from coklit.masking import mask_nik
from coklit.models import CoklitEvent, Pleno, PlenoEvent, TpsFigures, Voter

# NIK and NKK stay masked in the admin too (SPEC 10): a superuser doing support finds a voter
# by name or TPS; the full NIK is for the logged reveal of a PPS, PPK or KPU user.
NIK_KEYS = ("nik", "nkk")


def _masked_data(data: dict | None) -> dict:
    return {k: mask_nik(str(v)) if k in NIK_KEYS else v for k, v in (data or {}).items()}


@admin.register(Voter)
class VoterAdmin(admin.ModelAdmin):
    list_display = ["nama", "tps", "status", "tms_reason", "verification", "conflict"]
    list_filter = ["status", "verification", "conflict"]
    search_fields = ["nama", "tps__code"]
    raw_id_fields = ["tps", "village", "dps_tps", "outcome_event"]
    exclude = list(NIK_KEYS)
    readonly_fields = ["nik_masked", "nkk_masked"]

    # View only: a voter changed here would bypass the TPS figures (coklit.figures) and the
    # audit log; voters change through the import, the sync API and the PPS's verification.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="NIK")
    def nik_masked(self, obj):
        return mask_nik(obj.nik)

    @admin.display(description="NKK")
    def nkk_masked(self, obj):
        return mask_nik(obj.nkk)


@admin.register(CoklitEvent)
class CoklitEventAdmin(admin.ModelAdmin):
    list_display = ["id", "tps", "outcome", "tms_reason", "recorded_at", "verification", "stands"]
    list_filter = ["outcome", "verification", "conflict"]
    raw_id_fields = ["tps", "voter", "user", "verified_by"]
    exclude = ["changes", "new_voter"]
    readonly_fields = ["changes_masked", "new_voter_masked"]

    @admin.display(description="changes")
    def changes_masked(self, obj):
        return _masked_data(obj.changes)

    @admin.display(description="new voter")
    def new_voter_masked(self, obj):
        return _masked_data(obj.new_voter)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    """Seen, never changed, from the admin (SPEC 10): workflow state and figures change only
    through the services, which lock, check and write the audit log. An edit here bypassed
    all three (issue 15 item 10); `check_figures` recounts the figures if they are doubted."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TpsFigures)
class TpsFiguresAdmin(ReadOnlyAdmin):
    list_display = ["tps", "target_l", "target_p", "done", "version", "last_sync_at"]
    raw_id_fields = ["tps"]


@admin.register(Pleno)
class PlenoAdmin(ReadOnlyAdmin):
    """A pleno's state changes only through its transitions (coklit.plenos, SPEC 10)."""

    list_display = ["area", "stage", "state", "state_since", "ba_number"]
    list_filter = ["stage", "state", "level"]
    raw_id_fields = ["area", "held_by", "returned_by"]


@admin.register(PlenoEvent)
class PlenoEventAdmin(ReadOnlyAdmin):
    list_display = ["pleno", "action", "at", "by", "ba_number"]
    list_filter = ["action"]
    raw_id_fields = ["pleno", "by"]
