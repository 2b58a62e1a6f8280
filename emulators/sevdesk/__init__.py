"""An emulator of the sevDesk API (my.sevdesk.de/api/v1), served over HTTP.

Standard library only; no Django, no product imports. Contacts with addresses and
communication ways, invoices through Factory/saveInvoice (drafts, tax rules and their rates,
sums computed), list filters for polling (`updateAfter`, `customerInternalNote`), getPdf,
sendBy/sendViaEmail, bookAmount (partial and full), sevDesk's `{"objects": …}` answers and
`{"error": …}` bodies, a clock and faults on demand. See emulators/README.md.
"""

from .app import BASE, DEFAULT_CONFIG, DEFAULT_TOKEN, Emulator
from .client import ControlClient
from .server import EmulatorServer

__all__ = ["BASE", "DEFAULT_CONFIG", "DEFAULT_TOKEN", "ControlClient", "Emulator", "EmulatorServer"]
