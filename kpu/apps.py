from django.apps import AppConfig


class KpuConfig(AppConfig):
    name = "kpu"
    verbose_name = "KPU: wilayah, pengguna, pemilihan"

    def ready(self):
        from kpu import lookups  # noqa: F401 (registers the area code lookups `within`, `below`)
