from django.urls import path

from coklit import views

urlpatterns = [
    path("wilayah/<str:code>/", views.area, name="coklit-area"),
]
