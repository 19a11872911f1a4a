from django.core.management.base import BaseCommand, CommandError

from kpu.services import DomainError, user_create


class Command(BaseCommand):
    help = "Create a user with one role (kpu, ppk, pps, pantarlih) in one area."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=["kpu", "ppk", "pps", "pantarlih"])
        parser.add_argument("--area", required=True, help="Area code, e.g. 62.71.01")
        parser.add_argument("--password", help="Without it the account cannot log in until reset")
        parser.add_argument("--name", default="", help="Full name")

    def handle(self, *args, username, role, area, password=None, name="", **options):
        try:
            user = user_create(
                username=username, role=role, area_code=area, password=password, full_name=name
            )
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Created {user.username}: {user.role_label} of {user.area.title}")
