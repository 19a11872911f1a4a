"""`manage.py check_figures [CODE]`: recount the figures from voter rows and compare.

The guard for "every figure agrees": exits non-zero naming each TPS and figure whose kept
counter differs from a recount, and each recap row (a TPS, village or district, as its recap
shows it) where DPHP = Model A - TMS + Baru fails for L or P (SPEC 4). Slow on purpose (it reads
every voter); run it off-peak.
"""

from django.core.management.base import BaseCommand, CommandError

from coklit import exports, figures
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
        broken = []
        for c in codes:
            broken += identity_breaks(c)
        for where_, sexes in broken:
            self.stdout.write(
                f"{where_} DPHP {'/'.join(sexes)}: DPHP != Model A - TMS + Baru in its recap row"
            )
        where = ", ".join(codes) or "-"
        if bad or broken:
            raise CommandError(
                f"{len(bad)} of {checked} TPS in {where} have figures that differ from a recount; "
                f"{len(broken)} recap rows break DPHP = Model A - TMS + Baru."
            )
        self.stdout.write(f"All figures agree: {checked} TPS in {where} recounted.")


def identity_breaks(code: str) -> list[tuple[str, list[str]]]:
    """Recap rows (as each recap at and under `code` shows them) that break the identity."""
    top = Area.objects.get(code=code)
    areas = [top] if top.level in exports.REKAP_LEVELS else []
    areas += Area.objects.filter(code__below=code, level__in=exports.REKAP_LEVELS).order_by("code")
    out = []
    for area in areas:
        for child, figs in exports.children_figures_as_filed(area=area):
            sexes = figures.identity_breaks(figs)
            if sexes:
                out.append((child.code, sexes))
    return out
