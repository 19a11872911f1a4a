from django.apps import AppConfig


class KpuConfig(AppConfig):
    name = "kpu"
    verbose_name = "KPU: wilayah, pengguna, pemilihan"
