from django.core.management.base import BaseCommand, CommandError

from coklit.importer import ImportRejected, import_pemilih
from kpu.services import DomainError


class Command(BaseCommand):
    help = (
        "Import the starting voter list (Model A) from CSV or XLSX. Any bad row rejects the "
        "whole file with one line per bad row, and nothing is imported."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV (UTF-8, ; or , separated) or XLSX, header row first")
        parser.add_argument(
            "--village", help="Kelurahan/desa code for every row, e.g. 62.71.01.1001"
        )

    def handle(self, *args, file, village=None, **options):
        try:
            result = import_pemilih(file, village=village)
        except ImportRejected as exc:
            for line in exc.lines:
                self.stderr.write(line)
            raise CommandError(str(exc)) from exc
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Diimpor {result.voters} pemilih ke {result.tps} TPS ({result.tps_created} TPS baru) "
            f"di {result.villages} kelurahan/desa dalam {result.seconds:.1f} detik."
        )
        if result.flagged or result.existing_flagged:
            detail = ", ".join(f"{code} {n}" for code, n in sorted(result.flags.items()))
            self.stdout.write(
                f"Ditandai untuk diperiksa PPS: {result.flagged} pemilih baru ({detail})"
                + (
                    f", dan {result.existing_flagged} pemilih yang sudah ada."
                    if result.existing_flagged
                    else "."
                )
            )
