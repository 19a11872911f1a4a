from django.core.management.base import BaseCommand, CommandError

from coklit import demo
from kpu.models import Area


class Command(BaseCommand):
    help = (
        "Play the pantarlih devices of a regency: coklit results sent through the same sync "
        "service as the API, so a demo dashboard moves live. Runs until Ctrl-C or --minutes."
    )

    def add_arguments(self, parser):
        parser.add_argument("--regency", default="62.71")
        parser.add_argument("--per-minute", type=int, default=600, help="results a minute")
        parser.add_argument("--minutes", type=float, help="stop after this many minutes")
        parser.add_argument("--seed", type=int, help="for a reproducible run")

    def handle(self, *args, regency, per_minute, minutes, seed, **options):
        if per_minute < 1:
            raise CommandError("--per-minute must be at least 1")
        try:
            area = Area.objects.get(code=regency, level=Area.Level.REGENCY)
        except Area.DoesNotExist:
            raise CommandError(
                f"{regency} is not an imported regency: run seed_demo --regency {regency} first"
            ) from None
        self.stdout.write(
            f"Simulating pantarlih devices in {area.name}: about {per_minute} results a minute"
            + (f" for {minutes:g} minutes." if minutes is not None else "; Ctrl-C stops.")
        )
        try:
            result = demo.simulate_coklit(
                regency=area,
                per_minute=per_minute,
                minutes=minutes,
                seed=seed,
                log=self.stdout.write,
            )
        except KeyboardInterrupt:
            self.stdout.write("Stopped.")
            return
        self.stdout.write(
            f"{result['sent']} results sent in {result['batches']} batches, "
            f"{result['accepted']} accepted."
            + (" Every voter on the list has been visited." if result["finished"] else "")
        )
