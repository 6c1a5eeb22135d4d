"""Where a request comes from: the address a rate limit counts (the back-office login, the
organisation codes typed in the web chat)."""
from __future__ import annotations

import ipaddress

from bot.config import trust_proxy


def source_of(address: str | None) -> str:
    """What a peer address counts as: an IPv4 address, or an IPv6 /64 network."""
    text = (address or "").strip().strip("[]")
    try:
        ip = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return text[:64] or "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def client_address(peer: str | None, forwarded_for: list[str] | None) -> str:
    """The address of the client: the connection's peer, or with NPT_TRUST_PROXY=1
    the last valid address of X-Forwarded-For (the one our proxy appended: what came before it
    is whatever the client sent, and could be forged)."""
    if trust_proxy() and forwarded_for:
        for item in reversed(",".join(forwarded_for).split(",")):
            item = item.strip()
            try:
                ipaddress.ip_address(item.strip("[]").split("%", 1)[0])
            except ValueError:
                continue
            return item
    return peer or ""
