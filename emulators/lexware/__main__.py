"""`python -m emulators.lexware`: the Lexware Office emulator in the foreground.

The API is at http://127.0.0.1:12113/v1 (Lexware's is https://api.lexware.io/v1); see
emulators/README.md.
"""

from __future__ import annotations

import argparse
import sys

from .._server import foreground_parser, serve_in_foreground
from .._state import StateFileError
from .app import DEFAULT_KEY
from .server import EmulatorServer


def build_parser() -> argparse.ArgumentParser:
    parser = foreground_parser(
        "emulators.lexware",
        12113,
        "Run the Lexware Office emulator in the foreground (Ctrl-C or SIGTERM stops it); "
        "see emulators/README.md.",
    )
    parser.add_argument("--public-url", default=None, help="Base URL in resourceUri/Location")
    parser.add_argument(
        "--rate-limit",
        type=float,
        default=2.0,
        help="Requests per second per API key (default %(default)s, Lexware's; 0: off)",
    )
    parser.add_argument(
        "--webhook-retry-scale",
        type=float,
        default=1.0,
        help="Multiplies Lexware's callback retry waits (10 s … 2 h; default %(default)s)",
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
            public_url=options.public_url,
            config={
                "rate_limit": options.rate_limit,
                "webhook_retry_scale": options.webhook_retry_scale,
            },
        )
    except (OSError, ValueError, StateFileError) as exc:
        sys.exit(f"Lexware Office emulator: {exc}")
    banner = (
        f"Lexware Office emulator listening on {server.base_url} (API: {server.base_url}/v1)"
        f"\n  API key: {DEFAULT_KEY}"
        f"\n  webhook public key: {server.base_url}/webhookSignature/public/public_key.pub"
        f"\n  controls: {server.base_url}/_emulator/state"
    )
    serve_in_foreground(server, banner, "Lexware Office emulator stopped.")


if __name__ == "__main__":
    main()
