"""`manage.py fake_ads_api`: serve a local imitation of the X Ads API v12 (see
``ingest.fakeapi``) until Ctrl-C."""

from django.core.management.base import BaseCommand, CommandError

from ingest.fakeapi import FakeAdsApi, FakeServer, load_rates


class Command(BaseCommand):
    help = "Serve a fake X Ads API v12 with realistic successes and errors, for demos and tests."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8900, help="port to listen on (8900)")
        parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
        parser.add_argument(
            "--error-rate", type=float, default=0.1, help="share of requests that fail (0.1)"
        )
        parser.add_argument(
            "--config",
            help='JSON file of error rates: {"accounts": {"abc": 0.5}, '
            '"endpoints": {"GET /12/accounts/:account_id/campaigns": 0.3}}',
        )
        parser.add_argument("--seed", type=int, help="seed, for answers that repeat run to run")

    def handle(self, *args, **options):
        try:
            rates = load_rates(options["error_rate"], options["config"])
            server = FakeServer(
                FakeAdsApi(rates, options["seed"]), options["host"], options["port"]
            )
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"fake X Ads API on {server.url} (error rate {rates.default:g}); "
            f"POST /_control/spike starts a spike, GET /_control/stats tells what was served; "
            "Ctrl-C stops"
        )
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            self.stdout.write("stopped")
        finally:
            server.stop()
