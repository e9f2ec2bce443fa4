"""Which address a request came from, and which network that address is in.

Behind a reverse proxy every request arrives from the proxy's address, so a
limit counted per address would count the proxy. `OBOLE_TRUSTED_PROXIES`
names the proxies (as networks); only a request whose peer is one of them has
its `X-Forwarded-For` header believed. The header is read from the right: each
proxy appends the address it saw, so the first entry that is not a trusted
proxy is the client. Entries further left were written by the client itself
and prove nothing. Without trusted proxies the header is ignored entirely.

Every per-address limit (sign-up, sign-in, payment, API) uses this one address.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(value: Iterable[str]) -> list[Network]:
    """Networks from strings such as "10.0.0.0/8" or "::1"; ValueError names a bad one."""
    networks = []
    for part in value:
        try:
            networks.append(ipaddress.ip_network(part.strip(), strict=False))
        except ValueError:
            raise ValueError(f"{part.strip()!r} is not an IP address or network such as 10.0.0.0/8") from None
    return networks


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # "[::1]:1234"
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # "192.0.2.1:1234"
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def client_address(remote_addr: str | None, forwarded_for: str | None, trusted: list[Network]) -> str | None:
    """The client's address: the peer, or what trusted proxies say they saw."""
    peer = _address(remote_addr or "")
    if peer is None:
        return None
    if not trusted or not forwarded_for:
        return str(peer)
    current = peer
    for hop in reversed(forwarded_for.split(",")):
        if not any(current in network for network in trusted):
            break
        seen = _address(hop)
        if seen is None:  # a garbled entry: stop at the last address we can vouch for
            break
        current = seen
    return str(current)


def client_address_from_meta(meta: Mapping[str, str], trusted: list[Network]) -> str | None:
    """`client_address` from a WSGI environ (Django's request.META, or oauthlib's headers copy of it)."""
    return client_address(meta.get("REMOTE_ADDR"), meta.get("HTTP_X_FORWARDED_FOR"), trusted)


def network_of(address: str | None) -> str | None:
    """The network a client address belongs to for per-network limits: /24 for IPv4, /64 for IPv6.

    One household, office or cloud customer usually holds a whole /24 or /64, so
    a farm that rotates addresses inside one stays countable.
    """
    parsed = _address(address or "")
    if parsed is None:
        return None
    prefix = 24 if parsed.version == 4 else 64
    return str(ipaddress.ip_network(f"{parsed}/{prefix}", strict=False))
