from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kpu.wilayah import DEFAULT_SOURCE, WilayahError, import_wilayah


class Command(BaseCommand):
    help = "Import provinces, regencies, districts and villages from the shipped dataset."

    def add_arguments(self, parser):
        parser.add_argument("--regency", help="Only this regency (and its province), e.g. 62.71")
        parser.add_argument(
            "--source",
            type=Path,
            default=DEFAULT_SOURCE,
            help="Directory with provinces/regencies/districts/villages.csv",
        )

    def handle(self, *args, regency=None, source, **options):
        try:
            created, updated = import_wilayah(source=source, prefix=regency)
        except (WilayahError, KeyError) as exc:
            raise CommandError(f"Cannot import areas: {exc}") from exc
        self.stdout.write(
            f"Areas: {created} created, {updated} renamed"
            + (f" (regency {regency})" if regency else "")
        )
