"""`python -m emulators.sevdesk`: the sevDesk emulator in the foreground.

The API is at http://127.0.0.1:12114/api/v1; see emulators/README.md.
"""

from __future__ import annotations

import argparse
import sys

from .._server import foreground_parser, serve_in_foreground
from .._state import StateFileError
from .app import DEFAULT_TOKEN
from .server import EmulatorServer


def build_parser() -> argparse.ArgumentParser:
    parser = foreground_parser(
        "emulators.sevdesk",
        12114,
        "Run the sevDesk emulator in the foreground (Ctrl-C or SIGTERM stops it); "
        "see emulators/README.md.",
    )
    parser.add_argument(
        "--rate-limit",
        type=float,
        default=0.0,
        help="Requests per second per token before 429 (sevDesk publishes none; default off)",
    )
    parser.add_argument(
        "--block-after-errors",
        type=int,
        default=0,
        help="Refuse a token for 60 s after this many 4xx answers in a row (default off)",
    )
    parser.add_argument(
        "--state-file",
        default=None,
        help="Keep what the double stores in this file across restarts (the demo's)",
    )
    return parser


def main(argv: list[str] | None = None) -> None:
    options = build_parser().parse_args(argv)
    try:
        server = EmulatorServer(
            port=options.port,
            host=options.host,
            state_file=options.state_file,
            config={
                "rate_limit": options.rate_limit,
                "error_block_threshold": options.block_after_errors,
            },
        )
    except (OSError, ValueError, StateFileError) as exc:
        sys.exit(f"sevDesk emulator: {exc}")
    banner = (
        f"sevDesk emulator listening on {server.base_url} (API: {server.base_url}/api/v1)"
        f"\n  API token: {DEFAULT_TOKEN}"
        f"\n  controls: {server.base_url}/_emulator/state"
    )
    serve_in_foreground(server, banner, "sevDesk emulator stopped.")


if __name__ == "__main__":
    main()
