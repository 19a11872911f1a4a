import datetime as dt

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from coklit import demo, demo_tanggapan
from kpu.models import Area


class Command(BaseCommand):
    help = "Seed a complete demo on a real regency: election, TPS, users (and voters, progress)."

    def add_arguments(self, parser):
        parser.add_argument("--regency", default="62.71")
        parser.add_argument("--voters-per-tps", type=int, default=300)
        parser.add_argument("--progress", type=float, default=0.6)
        parser.add_argument("--seed", type=int, default=1)
        # SPEC 8b: `tanggapan` seeds (on a fresh database) a regency whose coklit ended weeks
        # ago, whose DPS was established three days ago, in its response period, with the
        # second stage played in part of it.
        parser.add_argument("--tahap", choices=["coklit", "tanggapan"], default="coklit")

    def handle(self, *args, regency, voters_per_tps, progress, seed, tahap="coklit", **options):
        if not 0 <= progress <= 1:
            raise CommandError("--progress must be between 0 and 1 (e.g. 0.6)")
        if not 1 <= voters_per_tps <= demo.MAX_VOTERS_PER_TPS:
            raise CommandError(f"--voters-per-tps must be between 1 and {demo.MAX_VOTERS_PER_TPS}")
        if not Area.objects.filter(code=regency, level=Area.Level.REGENCY).exists():
            call_command("import_wilayah", regency=regency, stdout=self.stdout)
        try:
            area = Area.objects.get(code=regency, level=Area.Level.REGENCY)
        except Area.DoesNotExist:
            raise CommandError(f"{regency} is not a regency code (e.g. 62.71)") from None
        today = None
        if tahap == "tanggapan":
            # Coklit ran about two months ago and ended a month ago.
            today = timezone.localdate() - dt.timedelta(days=45)
        result = demo.seed_structure(regency=area, seed=seed, today=today)
        p = result["pemilihan"]
        self.stdout.write(
            f"{area.name}: {result['villages']} villages, {result['tps']} TPS, "
            f"{result['users_created']} users created. {p.name}, coklit {p.coklit_start} "
            f"to {p.coklit_end}, times in {p.zone}."
        )
        voters = demo.seed_voters(regency=area, voters_per_tps=voters_per_tps, seed=seed)
        self.stdout.write(
            f"Voters: {voters['voters']} on the list ({voters['created']} added now, "
            f"{voters['flagged']} of them flagged for the PPS)."
        )
        if tahap == "tanggapan":
            demo_tanggapan.seed_second_stage(regency=area, seed=seed, log=self.stdout.write)
        else:
            self.seed_progress(area, progress, seed)
        self.stdout.write("")
        self.stdout.write(f"Demo logins (every demo user's password: {demo.DEMO_PASSWORD}):")
        for username, what in demo.example_logins(area):
            self.stdout.write(f"  {username:<36} {what}")
        self.stdout.write(
            "  Every area has one: kpu-<regency>, ppk-<district>, pps-<village>, "
            "pantarlih-<TPS code>, bawaslu-<regency, district or village>."
        )

    def seed_progress(self, area, progress, seed):
        if not progress:
            return
        result = demo.seed_progress(regency=area, share=progress, seed=seed, log=self.stdout.write)
        if "skipped" in result:
            self.stdout.write(f"Coklit progress skipped: {result['skipped']}.")
            return
        self.stdout.write(
            f"Coklit progress: {result['sent']} field results sent through the sync service, "
            f"{result['accepted']} accepted."
        )
        for village, stage in demo.seed_workflow(regency=area, seed=seed):
            what = {
                "ready": "coklit complete; 3 new voters wait for the PPS, then its pleno",
                "returned": "pleno returned by the PPK with a reason",
                "held": "pleno held",
                "district held": "PPK pleno held",
            }.get(stage, stage)
            self.stdout.write(f"  {village.title} ({village.code}): {what}")
        for line in demo_tanggapan.seed_saran_in_coklit(regency=area, seed=seed):
            self.stdout.write(f"  Saran perbaikan PKD: {line}")
