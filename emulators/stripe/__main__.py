"""`python -m emulators.stripe`: the Stripe emulator in the foreground (Ctrl-C or SIGTERM stops it).

Point the SDK at it with StripeClient(key, base_addresses={"api": "http://127.0.0.1:12111"});
the keys are in emulators/README.md.
"""

from __future__ import annotations

import argparse
import sys

from .._server import foreground_parser, serve_in_foreground
from .app import DEFAULT_CONFIG
from .persistence import StateFileError
from .server import EmulatorServer


def build_parser() -> argparse.ArgumentParser:
    parser = foreground_parser(
        "emulators.stripe",
        12111,
        "Run the Stripe emulator in the foreground (Ctrl-C or SIGTERM stops it). Point the SDK "
        "at it with StripeClient(key, base_addresses={'api': 'http://127.0.0.1:12111'}); the "
        "keys are in emulators/README.md.",
    )
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
    return parser


def main(argv: list[str] | None = None) -> None:
    options = build_parser().parse_args(argv)
    state_file = options.state_file
    try:
        server = EmulatorServer(
            port=options.port,
            host=options.host,
            public_url=options.public_url,
            config={
                "rate_limit_enabled": not options.no_rate_limit,
                "search_index_delay": options.search_delay,
            },
            state_file=state_file,
        )
    except (StateFileError, OSError) as exc:
        sys.exit(f"Stripe emulator: {exc}")
    banner = (
        f"Stripe emulator listening on {server.base_url}"
        "\n  keys: sk_test_emulator, rk_test_emulator, rk_test_emulator_account, "
        "rk_test_emulator_readonly"
        f"\n  controls: {server.base_url}/_emulator/state"
        f"\n  dashboard: {server.base_url}/_emulator/"
        + (f"\n  state file: {state_file}" if state_file else "")
    )
    saved = f"; state saved to {state_file}" if state_file else ""
    serve_in_foreground(server, banner, f"Stripe emulator stopped{saved}.")


if __name__ == "__main__":
    main()
