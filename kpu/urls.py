from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from coklit.api import api
from kpu import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("masuk/", views.LoginView.as_view(), name="login"),
    path("sandi/", views.password_change, name="kpu-password-change"),
    path("keluar/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("pengguna/", include("kpu.urls_accounts")),
    path("api/v1/", api.urls),
    path("", include("coklit.urls")),
]

handler404 = "kpu.views.not_found"
handler500 = "kpu.views.server_error"
