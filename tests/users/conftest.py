import socket

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _empty_cache():
    # Report results are cached per store id; SQLite reuses ids after a rolled-back test.
    cache.clear()
    yield
    cache.clear()


class FakeDns:
    """Host name -> addresses for ``socket.getaddrinfo``: tests never ask a real resolver
    (none in CI). Numeric hosts pass through; an unknown name does not resolve. ``asked``
    lists the names looked up, in order."""

    def __init__(self, real):
        self.real = real
        self.names: dict[str, list[str]] = {
            "hooks.example.com": ["93.184.216.34"],
            "localhost": ["127.0.0.1", "::1"],
        }
        self.asked: list[str] = []

    def __call__(self, host, port, family=0, type=0, proto=0, flags=0):
        name = host.decode() if isinstance(host, bytes) else host
        if name in self.names:
            self.asked.append(name)
            answers = self.names[name]
            if callable(answers):
                answers = answers()
            return [
                (
                    socket.AF_INET6 if ":" in address else socket.AF_INET,
                    socket.SOCK_STREAM,
                    6,
                    "",
                    (address, port or 0, 0, 0) if ":" in address else (address, port or 0),
                )
                for address in answers
            ]
        try:
            return self.real(host, port, family, type, proto, flags | socket.AI_NUMERICHOST)
        except socket.gaierror:
            self.asked.append(name)
            raise socket.gaierror(socket.EAI_NONAME, f"Name or service not known: {name}") from None


@pytest.fixture(autouse=True)
def fake_dns(monkeypatch):
    dns = FakeDns(socket.getaddrinfo)
    monkeypatch.setattr(socket, "getaddrinfo", dns)
    return dns
