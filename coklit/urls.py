from django.urls import path

from coklit import views, views_export

urlpatterns = [
    path("wilayah/<str:code>/", views.area, name="coklit-area"),
    path("wilayah/<str:code>/rekap.xlsx", views_export.rekap_xlsx, name="coklit-rekap-xlsx"),
    path("wilayah/<str:code>/dps.xlsx", views_export.dps_xlsx, name="coklit-dps-xlsx"),
    path("wilayah/<str:code>/cetak/", views_export.rekap_cetak, name="coklit-rekap-cetak"),
]
