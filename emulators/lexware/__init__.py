"""An emulator of the Lexware Office public API (api.lexware.io /v1), served over HTTP.

Standard library only; no Django, no product imports. Contacts, invoices (finalized at
creation, totals computed, EUR only), their PDF, the voucherlist, payments, event
subscriptions with RSA-SHA512-signed callbacks, Lexware's error bodies, its 2 requests per
second, a clock and faults on demand. See emulators/README.md.
"""

from .app import DEFAULT_CONFIG, DEFAULT_KEY, DEFAULT_ORGANIZATION, EVENT_TYPES, Emulator
from .client import ControlClient
from .server import EmulatorServer

__all__ = [
    "DEFAULT_CONFIG",
    "DEFAULT_KEY",
    "DEFAULT_ORGANIZATION",
    "EVENT_TYPES",
    "ControlClient",
    "Emulator",
    "EmulatorServer",
]
