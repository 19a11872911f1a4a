import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from kpu.models import Area
from kpu.services import DomainError, pemilihan_create


def date_arg(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{value!r} is not a date: use YYYY-MM-DD") from None


class Command(BaseCommand):
    help = "Create (or update the dates of) a regency's election."

    def add_arguments(self, parser):
        parser.add_argument("--regency", required=True)
        parser.add_argument("--name", required=True)
        parser.add_argument("--voting-day", required=True)
        parser.add_argument("--coklit-start", required=True)
        parser.add_argument("--coklit-end", required=True)
        # SPEC 5/8b: the public response period; default the ten days after the DPS pleno.
        parser.add_argument("--tanggapan-start")
        parser.add_argument("--tanggapan-end")

    def handle(self, *args, **o):
        try:
            regency = Area.objects.get(code=o["regency"], level=Area.Level.REGENCY)
        except Area.DoesNotExist:
            raise CommandError(
                f"Regency {o['regency']} not found: "
                f"run import_wilayah --regency {o['regency']} first"
            ) from None
        try:
            pemilihan, created = pemilihan_create(
                regency=regency,
                name=o["name"],
                voting_day=date_arg(o["voting_day"]),
                coklit_start=date_arg(o["coklit_start"]),
                coklit_end=date_arg(o["coklit_end"]),
                tanggapan_start=date_arg(o["tanggapan_start"]) if o["tanggapan_start"] else None,
                tanggapan_end=date_arg(o["tanggapan_end"]) if o["tanggapan_end"] else None,
            )
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"{'Created' if created else 'Updated'} {pemilihan.name} for {regency.name} "
            f"(times in {pemilihan.zone})"
        )
