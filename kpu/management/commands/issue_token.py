from django.core.management.base import BaseCommand, CommandError

from kpu.models import User
from kpu.services import DomainError, token_issue


class Command(BaseCommand):
    help = "Print a new bearer token for a pantarlih's device (only its hash is stored)."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        try:
            user = User.objects.get(username=username)
        except User.DoesNotExist:
            raise CommandError(f"No user {username!r}") from None
        try:
            raw = token_issue(user=user)
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(raw)
