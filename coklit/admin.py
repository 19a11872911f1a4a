from django.contrib import admin

from coklit.models import CoklitEvent, DpsDraft, TpsFigures, Voter


@admin.register(Voter)
class VoterAdmin(admin.ModelAdmin):
    list_display = ["nama", "tps", "status", "tms_reason", "verification", "conflict"]
    list_filter = ["status", "verification", "conflict"]
    search_fields = ["nama", "tps__code"]
    raw_id_fields = ["tps", "village", "dps_tps", "outcome_event"]


@admin.register(CoklitEvent)
class CoklitEventAdmin(admin.ModelAdmin):
    list_display = ["id", "tps", "outcome", "tms_reason", "recorded_at", "verification", "stands"]
    list_filter = ["outcome", "verification", "conflict"]
    raw_id_fields = ["tps", "voter", "user", "verified_by"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TpsFigures)
class TpsFiguresAdmin(admin.ModelAdmin):
    list_display = ["tps", "target_l", "target_p", "done", "version", "last_sync_at"]
    raw_id_fields = ["tps"]


@admin.register(DpsDraft)
class DpsDraftAdmin(admin.ModelAdmin):
    list_display = ["village", "status", "stage_since"]
    raw_id_fields = ["village"]
