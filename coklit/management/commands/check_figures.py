"""`manage.py check_figures [CODE]`: recount the figures from voter rows and compare.

The guard for "every figure agrees": exits non-zero naming each TPS and figure whose kept
counter differs from a recount. Slow on purpose (it reads every voter); run it off-peak.
"""

from django.core.management.base import BaseCommand, CommandError

from coklit import figures
from coklit.models import TpsFigures
from kpu.models import Area


class Command(BaseCommand):
    help = "Recount TPS figures from voter rows; exit non-zero naming each TPS that differs."

    def add_arguments(self, parser):
        parser.add_argument(
            "code", nargs="?", help="an area code (default: every regency with TPS figures)"
        )

    def handle(self, *args, code=None, **options):
        if code:
            if not Area.objects.filter(code=code).exists():
                raise CommandError(f"Unknown area {code!r}.")
            codes = [code]
        else:
            codes = sorted(
                TpsFigures.objects.values_list("regency_code", flat=True).distinct().order_by()
            )
        checked = 0
        bad: dict[str, dict[str, tuple[int, int]]] = {}
        for c in codes:
            checked += TpsFigures.objects.filter(tps__code__within=c).count()
            bad.update(figures.mismatches(code=c))
        for tps in sorted(bad):
            for name, (kept, counted) in sorted(bad[tps].items()):
                self.stdout.write(f"{tps} {name}: kept {kept}, recounted {counted}")
        where = ", ".join(codes) or "-"
        if bad:
            raise CommandError(
                f"{len(bad)} of {checked} TPS in {where} have figures that differ from a recount."
            )
        self.stdout.write(f"All figures agree: {checked} TPS in {where} recounted.")
