"""A stateful Stripe emulator that the official SDK talks to over HTTP.

Pure standard library plus the `stripe` SDK (for its parameter types); no Django. See
emulators/README.md for what is emulated, the control endpoints and the deliberate
differences from Stripe.
"""

from .app import API_VERSION, DEFAULT_CONFIG, Emulator
from .client import ControlClient
from .persistence import StateFileError
from .server import EmulatorServer

__all__ = [
    "API_VERSION",
    "DEFAULT_CONFIG",
    "ControlClient",
    "Emulator",
    "EmulatorServer",
    "StateFileError",
]
