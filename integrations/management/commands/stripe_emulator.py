import signal

from django.core.management.base import BaseCommand, CommandError

from emulators.stripe import DEFAULT_CONFIG, EmulatorServer, StateFileError


def _interrupt(signum, frame):
    raise KeyboardInterrupt


class Command(BaseCommand):
    help = (
        "Run the Stripe emulator in the foreground (Ctrl-C stops it). Point the SDK at it with "
        "StripeClient(key, base_addresses={'api': 'http://127.0.0.1:12111'}); keys are in "
        "docs/stripe-emulator.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=12111)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument(
            "--public-url",
            default=None,
            help="Base URL for hosted pages if it differs from http://host:port",
        )
        parser.add_argument(
            "--no-rate-limit",
            action="store_true",
            help="Turn off the global 25 requests/second test-mode limit",
        )
        parser.add_argument(
            "--search-delay",
            type=float,
            default=DEFAULT_CONFIG["search_index_delay"],
            help="Seconds before a write is visible to search (default %(default)s)",
        )
        parser.add_argument(
            "--state-file",
            default=None,
            help="JSON file to load the state from at start and to save it to after changes "
            "(and on exit), so a restart keeps the objects",
        )

    def handle(self, *args, **options):
        state_file = options["state_file"]
        try:
            server = EmulatorServer(
                port=options["port"],
                host=options["host"],
                public_url=options["public_url"],
                config={
                    "rate_limit_enabled": not options["no_rate_limit"],
                    "search_index_delay": options["search_delay"],
                },
                state_file=state_file,
            )
        except StateFileError as exc:
            raise CommandError(str(exc)) from exc
        # `kill` (scripts/demo.sh's exit trap) stops it like Ctrl-C, so the state gets saved.
        # Ctrl-C and SIGTERM stop it, even when a shell started it with SIGINT ignored (&).
        signal.signal(signal.SIGINT, _interrupt)
        signal.signal(signal.SIGTERM, _interrupt)
        self.stdout.write(
            self.style.SUCCESS(f"Stripe emulator listening on {server.base_url}")
            + "\n  keys: sk_test_emulator, rk_test_emulator, rk_test_emulator_account, "
            "rk_test_emulator_readonly\n  controls: "
            f"{server.base_url}/_emulator/state\n  dashboard: {server.base_url}/_emulator/"
            + (f"\n  state file: {state_file}" if state_file else "")
            + "\n(Ctrl-C to stop)"
        )
        self.stdout.flush()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            saved = f"; state saved to {state_file}" if state_file else ""
            self.stdout.write(f"Stripe emulator stopped{saved}.")
