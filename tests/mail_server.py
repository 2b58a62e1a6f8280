"""A real SMTP server for tests (aiosmtpd, on a free local port): Django's SMTP backend sends
to it, the test reads what arrived. Use the ``smtp_server`` fixture."""

import email
import socket
import threading
from dataclasses import dataclass, field
from email.message import Message

import pytest
from aiosmtpd.controller import Controller


@dataclass
class Inbox:
    """What the server received, parsed; ``wait`` blocks until ``count`` messages are in."""

    messages: list[Message] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's handler hook
        with self.arrived:
            self.messages.append(email.message_from_bytes(envelope.content))
            self.arrived.notify_all()
        return "250 Message accepted for delivery"

    def wait(self, count: int, timeout: float = 10.0) -> list[Message]:
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.messages) >= count, timeout)
        return list(self.messages)

    @staticmethod
    def text(message: Message) -> str:
        part = next((p for p in message.walk() if p.get_content_type() == "text/plain"), message)
        return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield inbox
    finally:
        controller.stop()
