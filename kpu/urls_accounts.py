"""/pengguna/: accounts and devices (issue 7). Scope is checked in each view
(tests/kpu/test_accounts.py, test_devices.py, test_roster_import.py)."""

from django.urls import path

from kpu import views_accounts as views

urlpatterns = [
    path("", views.accounts, name="kpu-accounts"),
    path("baru/", views.account_create, name="kpu-account-create"),
    path("impor/", views.roster_import, name="kpu-roster-import"),
    path("impor/contoh.xlsx", views.roster_template, name="kpu-roster-template"),
    path("perangkat/<int:pk>/cabut/", views.device_revoke, name="kpu-device-revoke"),
    path("<int:pk>/", views.account, name="kpu-account"),
    path("<int:pk>/ubah/", views.account_edit, name="kpu-account-edit"),
    path("<int:pk>/nonaktifkan/", views.account_deactivate, name="kpu-account-deactivate"),
    path("<int:pk>/aktifkan/", views.account_activate, name="kpu-account-activate"),
    path("<int:pk>/reset-sandi/", views.account_reset_password, name="kpu-account-reset-password"),
    path("<int:pk>/perangkat/", views.account_devices, name="kpu-account-devices"),
]
