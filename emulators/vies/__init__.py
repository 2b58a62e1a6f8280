"""An emulator of the EU's VIES REST API (VAT ID validation), served over HTTP.

Standard library only; no Django, no product imports. It answers VIES's request and response
shapes (`POST /check-vat-number` with the requester fields and the consultation number,
`POST /check-vat-test-service`, `GET /ms/{cc}/vat/{number}`, `GET /check-status`) and fails on
demand: invalid numbers, member states unavailable, concurrency limits, slow or lost answers.
See emulators/README.md.
"""

from .app import BEHAVIORS, DEFAULT_CONFIG, DEFAULT_NUMBERS, ERROR_CODES, MEMBER_STATES, Emulator
from .client import ControlClient
from .server import EmulatorServer

__all__ = [
    "BEHAVIORS",
    "DEFAULT_CONFIG",
    "DEFAULT_NUMBERS",
    "ERROR_CODES",
    "MEMBER_STATES",
    "ControlClient",
    "Emulator",
    "EmulatorServer",
]
