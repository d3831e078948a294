import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create the 'admin' login if it does not exist, printing its password once."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")

    def handle(self, *args, username, **options):
        users = get_user_model().objects
        if users.filter(username=username).exists():
            self.stdout.write(
                f"login: {username} (password shown when it was created; "
                f"reset it with: python manage.py changepassword {username})"
            )
            return
        password = secrets.token_urlsafe(12)
        users.create_superuser(username=username, email="", password=password)
        self.stdout.write(f"login: {username}  password: {password}  (shown once)")
