"""The product's URLs plus the bench's bare yardsticks (only under bench.settings)."""

from django.urls import path

from bench import views
from kpu.urls import urlpatterns as product

urlpatterns = [
    path("bench/konstan/", views.bare_constant, name="bench-constant"),
    path("bench/tabel/", views.bare_table, name="bench-table"),
    *product,
]
