import json
import signal

from django.core.management.base import BaseCommand, CommandError

from emulators.vies import DEFAULT_NUMBERS, EmulatorServer


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _load_numbers(path: str) -> dict:
    """A JSON list of {"countryCode", "vatNumber", "behavior", "name", "address", "delay"}."""
    try:
        with open(path, encoding="utf-8") as fh:
            entries = json.load(fh)
    except (OSError, ValueError) as exc:
        raise CommandError(f"{path}: {exc}") from exc
    if not isinstance(entries, list):
        raise CommandError(f"{path}: expected a JSON list of numbers")
    numbers = dict(DEFAULT_NUMBERS)
    for entry in entries:
        try:
            key = (entry["countryCode"].upper(), entry["vatNumber"].upper())
        except (KeyError, AttributeError, TypeError) as exc:
            raise CommandError(f"{path}: every entry needs countryCode and vatNumber") from exc
        numbers[key] = {k: v for k, v in entry.items() if k not in ("countryCode", "vatNumber")}
    return numbers


class Command(BaseCommand):
    help = (
        "Run the VIES emulator in the foreground (Ctrl-C or SIGTERM stops it). Point the app at "
        "it with MSPERCURY_VIES_URL=http://127.0.0.1:12112; see docs/vies-emulator.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=12112)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument(
            "--unknown",
            choices=["valid", "invalid"],
            default="valid",
            help="What numbers nobody registered answer (default %(default)s)",
        )
        parser.add_argument("--latency", type=float, default=0.0, help="Seconds every answer waits")
        parser.add_argument(
            "--numbers",
            default=None,
            help="JSON file with more numbers to register (a list of {countryCode, vatNumber, "
            "behavior, name, address, delay})",
        )

    def handle(self, *args, **options):
        numbers = _load_numbers(options["numbers"]) if options["numbers"] else None
        try:
            server = EmulatorServer(
                port=options["port"],
                host=options["host"],
                config={"unknown_numbers": options["unknown"], "latency": options["latency"]},
                numbers=numbers,
            )
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        # Ctrl-C and SIGTERM stop it, even when a shell started it with SIGINT ignored (&).
        signal.signal(signal.SIGINT, _interrupt)
        signal.signal(signal.SIGTERM, _interrupt)
        self.stdout.write(
            self.style.SUCCESS(f"VIES emulator listening on {server.base_url}")
            + f"\n  set MSPERCURY_VIES_URL={server.base_url}"
            + f"\n  controls: {server.base_url}/_emulator/state"
            + f"\n  dashboard: {server.base_url}/_emulator/"
            + "\n(Ctrl-C to stop)"
        )
        self.stdout.flush()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            self.stdout.write("VIES emulator stopped.")
