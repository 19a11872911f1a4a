from django.core.management.base import BaseCommand, CommandError

from kpu.models import Role
from kpu.services import DomainError, generate_password, user_create


class Command(BaseCommand):
    help = (
        "Create a user with one role (kpu, ppk, pps, pantarlih, bawaslu) in one area. Without "
        "--password a one-time password is generated and printed; the user must change it at "
        "first login."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", help="Any plain ASCII name: letters, digits, @ . + - _")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--area", required=True, help="Area code, e.g. 62.71.01")
        parser.add_argument(
            "--password",
            help="The user's own password; without it a one-time password is printed",
        )
        parser.add_argument("--name", default="", help="Full name")

    def handle(self, *args, username, role, area, password=None, name="", **options):
        one_time = None if password else generate_password()
        try:
            user = user_create(
                username=username,
                role=role,
                area_code=area,
                password=password or one_time,
                full_name=name,
                must_change_password=one_time is not None,
            )
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Created {user.username}: {user.role_label} of {user.area.title}")
        if one_time:
            self.stdout.write(
                f"One-time password: {one_time} (to be changed at first login; shown only now)"
            )
