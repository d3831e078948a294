from django.core.management.base import BaseCommand, CommandError

from ingest.tokens import issue_token, parse_scopes


class Command(BaseCommand):
    help = "Create an API token and print it as the last line (it is stored hashed)."

    def add_arguments(self, parser):
        parser.add_argument("name", help="what the token is for, e.g. 'campaign-sync'")
        parser.add_argument("--scopes", default="ingest", help="comma-separated: ingest,read")

    def handle(self, *args, name, scopes, **options):
        try:
            scope_list = parse_scopes(scopes)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        token = issue_token(name, scope_list)
        self.stdout.write(f"Token '{name}' with scopes {','.join(scope_list)} (shown once):")
        self.stdout.write(token)
