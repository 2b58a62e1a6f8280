"""`python -m emulators.vies`: the VIES emulator in the foreground (Ctrl-C or SIGTERM stops it).

Point the app at it with MSPERCURY_VIES_URL=http://127.0.0.1:12112; see emulators/README.md.
"""

from __future__ import annotations

import argparse
import json
import sys

from .._server import foreground_parser, serve_in_foreground
from .app import DEFAULT_NUMBERS
from .server import EmulatorServer


def build_parser() -> argparse.ArgumentParser:
    parser = foreground_parser(
        "emulators.vies",
        12112,
        "Run the VIES emulator in the foreground (Ctrl-C or SIGTERM stops it). Point the app at "
        "it with MSPERCURY_VIES_URL=http://127.0.0.1:12112; see emulators/README.md.",
    )
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
    return parser


def load_numbers(path: str) -> dict:
    """The defaults plus a JSON list of {"countryCode", "vatNumber", "behavior", "name",
    "address", "delay"}; a file that is not that raises ValueError naming it."""
    try:
        with open(path, encoding="utf-8") as fh:
            entries = json.load(fh)
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: {exc}") from exc
    if not isinstance(entries, list):
        raise ValueError(f"{path}: expected a JSON list of numbers")
    numbers = dict(DEFAULT_NUMBERS)
    for entry in entries:
        try:
            key = (entry["countryCode"].upper(), entry["vatNumber"].upper())
        except (KeyError, AttributeError, TypeError) as exc:
            raise ValueError(f"{path}: every entry needs countryCode and vatNumber") from exc
        numbers[key] = {k: v for k, v in entry.items() if k not in ("countryCode", "vatNumber")}
    return numbers


def main(argv: list[str] | None = None) -> None:
    options = build_parser().parse_args(argv)
    try:
        numbers = load_numbers(options.numbers) if options.numbers else None
        server = EmulatorServer(
            port=options.port,
            host=options.host,
            config={"unknown_numbers": options.unknown, "latency": options.latency},
            numbers=numbers,
        )
    except (OSError, ValueError) as exc:
        sys.exit(f"VIES emulator: {exc}")
    banner = (
        f"VIES emulator listening on {server.base_url}"
        f"\n  set MSPERCURY_VIES_URL={server.base_url}"
        f"\n  controls: {server.base_url}/_emulator/state"
        f"\n  dashboard: {server.base_url}/_emulator/"
    )
    serve_in_foreground(server, banner, "VIES emulator stopped.")


if __name__ == "__main__":
    main()
