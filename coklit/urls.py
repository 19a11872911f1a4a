from django.urls import path

from coklit import views

urlpatterns = [
    path("wilayah/<str:code>/", views.area, name="coklit-area"),
    path("wilayah/<str:code>/cari/", views.search, name="coklit-area-search"),
]
