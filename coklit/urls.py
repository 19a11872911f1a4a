from django.urls import path

from coklit import (
    ba_views,
    pleno_views,
    tanggapan_views,
    views,
    views_export,
    views_paper,
    workflow_views,
)

urlpatterns = [
    path("wilayah/<str:code>/", views.area, name="coklit-area"),
    path("wilayah/<str:code>/cari/", views.search, name="coklit-area-search"),
    # Verification (SPEC 8).
    path("wilayah/<str:code>/verifikasi/", workflow_views.queue, name="coklit-queue"),
    path(
        "wilayah/<str:code>/verifikasi/setujui-semua/",
        workflow_views.queue_approve_all,
        name="coklit-queue-approve-all",
    ),
    path("verifikasi/<uuid:event_id>/", workflow_views.event_verify, name="coklit-event-verify"),
    path("pemilih/<int:voter_id>/nik/", workflow_views.nik_reveal, name="coklit-nik-reveal"),
    # The plenos (SPEC 8): one URL per action, the rules in coklit/plenos.py's table.
    path("pleno/<str:code>/", pleno_views.pleno, name="coklit-pleno"),
    # Its berita acara, from the snapshot its hold stored (issue 12).
    path(
        "pleno/<str:code>/berita-acara/",
        ba_views.berita_acara_page,
        name="coklit-pleno-berita-acara",
    ),
    *[
        path(
            f"pleno/<str:code>/{action}/",
            pleno_views.pleno_action,
            {"action": action},
            name=f"coklit-pleno-{action}",
        )
        for action in ("hold", "return", "reopen")
    ],
    # Public responses and saran perbaikan (SPEC 8b).
    path(
        "wilayah/<str:code>/tanggapan/",
        tanggapan_views.village_tanggapan,
        name="coklit-tanggapan",
    ),
    *[
        path(
            f"tanggapan/<int:pk>/{action}/",
            tanggapan_views.tanggapan_answer,
            {"action": action},
            name=f"coklit-tanggapan-{action}",
        )
        for action in ("accept", "reject")
    ],
    # Recaps, DPS lists and print pages (SPEC 9).
    path("wilayah/<str:code>/rekap.xlsx", views_export.rekap_xlsx, name="coklit-rekap-xlsx"),
    path("wilayah/<str:code>/dps.xlsx", views_export.dps_xlsx, name="coklit-dps-xlsx"),
    path("wilayah/<str:code>/cetak/", views_export.rekap_cetak, name="coklit-rekap-cetak"),
    path("wilayah/<str:code>/progres.xlsx", views_export.progres_xlsx, name="coklit-progres-xlsx"),
    path(
        "wilayah/<str:code>/perubahan.xlsx",
        views_export.perubahan_xlsx,
        name="coklit-perubahan-xlsx",
    ),
    # Results from paper (SPEC 6b).
    path("wilayah/<str:code>/model-a.xlsx", views_paper.model_a_xlsx, name="coklit-model-a-xlsx"),
    path("wilayah/<str:code>/model-a/", views_paper.model_a_upload, name="coklit-model-a-upload"),
    path("wilayah/<str:code>/entri/", views_paper.entry, name="coklit-entry"),
]
