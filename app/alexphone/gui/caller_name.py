"""Who is calling, for people: a contact's name, the SIP display name, a LAN peer's name.

The call panel, the incoming-call dialog, the tray and the history all name the other
party the same way, and show the address beneath the name.
"""

from __future__ import annotations

from collections.abc import Iterable

from alexphone.gui.contact_model import ContactModel
from alexphone.gui.peer_model import Peer, PeerModel, bare_host
from alexphone.store.contacts import Contact


def address_key(uri: str) -> tuple[str, str, str]:
    """Return (user, host, port) of a sip:/sips: URI or user@host text; host lower-case.

    Parameters and headers are dropped, so ``sip:bob@h;transport=tcp`` is ``sip:bob@h``.
    """
    rest = uri.strip().strip("<>")
    if rest.lower().startswith(("sip:", "sips:")):
        rest = rest.split(":", 1)[1]
    rest = rest.split(";", 1)[0].split("?", 1)[0]
    user, _, hostport = rest.rpartition("@")
    return user, bare_host(hostport).lower(), _port(hostport)


def _port(hostport: str) -> str:
    """Return the port of "h:port" or "[v6]:port" ("" for none or a bare IPv6 address)."""
    if hostport.startswith("["):
        return hostport.split("]", 1)[1].lstrip(":")
    return hostport.split(":", 1)[1] if hostport.count(":") == 1 else ""


def same_address(a: str, b: str) -> bool:
    """Tell whether two addresses name the same user and host (ports compared if both have)."""
    user_a, host_a, port_a = address_key(a)
    user_b, host_b, port_b = address_key(b)
    if (user_a, host_a) != (user_b, host_b) or not host_a:
        return False
    return not (port_a and port_b) or port_a == port_b


def caller_name(
    remote: str, display_name: str, contacts: Iterable[Contact], peers: Iterable[Peer]
) -> str:
    """Return the contact's name, else ``display_name``, else the LAN peer's, else ``remote``."""
    for contact in contacts:
        if same_address(contact.uri, remote):
            return contact.name
    if display_name.strip():
        return display_name.strip()
    listed = list(peers)
    for peer in listed:
        if same_address(peer.uri, remote):
            return peer.name
    _, host, _ = address_key(remote)
    for peer in listed:  # a peer calls from the address it announced, maybe as another user
        if host and host in peer.hosts:
            return peer.name
    return remote


class CallerNames:
    """Names callers from the contacts and LAN peers shown right now."""

    def __init__(self, contacts: ContactModel, peers: PeerModel) -> None:
        self._contacts = contacts
        self._peers = peers

    def __call__(self, remote: str, display_name: str = "") -> str:
        """Return the name to show for ``remote`` (see ``caller_name``)."""
        return caller_name(remote, display_name, self._contacts.contacts(), self._peers.peers())
