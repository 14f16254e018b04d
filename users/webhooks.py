"""Outbound webhooks that cannot be pointed at the inside of the network (SSRF guard).

A playbook's webhook URL is typed by a store operator, and the POST is made by the server, so
the URL must not reach what only the server can reach: the machine itself, the private
network, cloud metadata services. Rules (``webhook_target``):

* scheme ``http`` or ``https``; no user name or password in the URL; a host name;
* every address the host resolves to (all of them: a name with one public and one private
  address is refused) must be a public unicast address. Refused: unspecified (0.0.0.0, ::),
  loopback, private (10/8, 172.16/12, 192.168/16, 100.64/10 shared, fc00::/7), link-local
  (169.254/16 — cloud metadata — and fe80::/10), multicast, reserved and documentation
  ranges, broadcast, and the IPv4 address inside an IPv6 one (IPv4-mapped ``::ffff:a.b.c.d``,
  NAT64 ``64:ff9b::/96``, 6to4 ``2002::/16``, Teredo) is checked as IPv4;
* ``settings.OPSDESK_WEBHOOK_ALLOW_PRIVATE`` (environment variable of the same name, off by
  default) lets an on-premise install post to loopback and private addresses; unspecified,
  link-local, multicast and reserved addresses stay refused.

The check runs when a playbook is saved (a clear form error) and again before every delivery
attempt (the name may resolve elsewhere by then). The POST then connects to the very address
that was checked (no second lookup, so no DNS-rebinding window) while sending the URL's host
in the ``Host`` header and, for https, as the TLS server name (SNI) with the certificate
checked against it. Redirects are not followed.
"""

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IP = ipaddress.IPv4Address | ipaddress.IPv6Address


class WebhookRefused(ValueError):
    """The URL may not be posted to; the message says why (translated)."""


@dataclass(frozen=True)
class WebhookTarget:
    scheme: str
    host: str  # as in the URL (a name or an address), for Host and SNI
    port: int
    path: str  # path and query
    addresses: tuple[str, ...]  # the checked IP addresses to connect to, in resolver order


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    return None


def address_problem(ip: _IP, *, allow_private: bool | None = None) -> str | None:
    """Why ``ip`` may not be a webhook target (translated), or None when it may."""
    if allow_private is None:
        allow_private = settings.OPSDESK_WEBHOOK_ALLOW_PRIVATE
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_ipv4(ip)
        if inner is not None:
            return address_problem(inner, allow_private=allow_private)
    if ip.is_unspecified:
        return _("%(address)s is an unspecified address.") % {"address": ip}
    if ip.is_multicast:
        return _("%(address)s is a multicast address.") % {"address": ip}
    if ip.is_link_local:
        return _("%(address)s is a link-local address.") % {"address": ip}
    if isinstance(ip, ipaddress.IPv4Address) and ip == ipaddress.IPv4Address("255.255.255.255"):
        return _("%(address)s is the broadcast address.") % {"address": ip}
    if ip.is_loopback:
        if allow_private:
            return None
        return _("%(address)s is a loopback address (this server).") % {"address": ip}
    private = ip.is_private or (
        isinstance(ip, ipaddress.IPv4Address) and ip in ipaddress.ip_network("100.64.0.0/10")
    )
    if ip.is_reserved or (not ip.is_global and not private):
        return _("%(address)s is a reserved address.") % {"address": ip}
    if private:
        if allow_private:
            return None
        return _("%(address)s is a private network address.") % {"address": ip}
    return None


def _split(url: str) -> tuple[str, str, int, str]:
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise WebhookRefused(
            _("The webhook URL is not valid: %(error)s.") % {"error": exc}
        ) from exc
    if parts.scheme not in ("http", "https"):
        raise WebhookRefused(_("The webhook URL must start with http:// or https://."))
    if parts.username is not None or parts.password is not None:
        raise WebhookRefused(
            _("The webhook URL must not contain a user name or password; sign with the secret.")
        )
    host = parts.hostname
    if not host:
        raise WebhookRefused(_("The webhook URL has no host."))
    port = port or (443 if parts.scheme == "https" else 80)
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return parts.scheme, host, port, path


def _resolve(host: str, port: int) -> list[_IP]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise WebhookRefused(
            _("The webhook host %(host)s cannot be resolved: %(error)s.")
            % {"host": host, "error": exc}
        ) from exc
    addresses = []
    for info in infos:
        ip = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        if ip not in addresses:
            addresses.append(ip)
    if not addresses:
        raise WebhookRefused(_("The webhook host %(host)s has no address.") % {"host": host})
    return addresses


def webhook_target(url: str) -> WebhookTarget:
    """The checked target of ``url`` (see the module); ``WebhookRefused`` when refused."""
    scheme, host, port, path = _split(url)
    addresses = _resolve(host, port)
    for ip in addresses:
        problem = address_problem(ip)
        if problem is not None:
            raise WebhookRefused(
                _("The webhook URL may not point at %(host)s: %(problem)s")
                % {"host": host, "problem": problem}
            )
    return WebhookTarget(scheme, host, port, path, tuple(str(ip) for ip in addresses))


def _connect(addresses: tuple[str, ...], port: int, timeout: float) -> socket.socket:
    """A TCP connection to the first of the checked ``addresses`` that answers (an IPv6
    address on a host without IPv6 falls back to the IPv4 one). Numeric addresses only: no
    lookup happens here."""
    error: OSError | None = None
    for address in addresses:
        try:
            sock = socket.create_connection((address, port), timeout)
        except OSError as exc:
            error = exc
            continue
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock
    raise error or OSError("no address to connect to")


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, target: WebhookTarget, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._addresses = target.addresses

    def connect(self) -> None:
        self.sock = _connect(self._addresses, self.port, self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(
        self, target: WebhookTarget, timeout: float, context: ssl.SSLContext | None
    ) -> None:
        context = context or ssl.create_default_context()
        super().__init__(target.host, target.port, timeout=timeout, context=context)
        self._addresses = target.addresses

    def connect(self) -> None:
        sock = _connect(self._addresses, self.port, self.timeout)
        # The certificate is checked against the URL's host, not the address.
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(
    target: WebhookTarget,
    *,
    body: bytes,
    headers: dict[str, str],
    timeout: float,
    ssl_context: ssl.SSLContext | None = None,
) -> int:
    """POST ``body`` to the checked ``target`` (connecting to ``target.addresses``); return the
    HTTP status. Connection errors raise ``OSError`` (``ssl.SSLError`` and timeouts too)."""
    if target.scheme == "https":
        connection = _PinnedHTTPSConnection(target, timeout, ssl_context)
    else:
        connection = _PinnedHTTPConnection(target, timeout)
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(65_536)
        return response.status
    except http.client.HTTPException as exc:
        raise ConnectionError(f"bad HTTP response: {exc!r}") from exc
    finally:
        connection.close()


__all__ = ["WebhookRefused", "WebhookTarget", "address_problem", "post", "webhook_target"]
