"""Who is calling: contact name, else SIP display name, else LAN peer name, else the address.

Each level is shown through the window: the incoming-call dialog, the tray notification,
the call panel and the history, each with the address beneath the name.
"""

from __future__ import annotations

from collections.abc import Callable

from pytestqt.qtbot import QtBot

from alexphone.engine.events import CallChanged, CallState, Direction
from alexphone.gui.caller_name import caller_name, same_address
from alexphone.gui.main_window import MainWindow
from alexphone.gui.peer_model import Peer
from alexphone.gui.roles import ItemRole
from alexphone.store.contacts import Contact
from alexphone.store.history import HistoryDirection

WindowFactory = Callable[..., MainWindow]
BOB = "sip:bob@10.0.1.3:5060"
BOB_PEER = Peer("Bob Lab", BOB, ("10.0.1.3:5060",))


def _ring(qtbot: QtBot, window: MainWindow, display_name: str = "") -> tuple[str, str]:
    """Bob calls; return the dialog's name and address lines (address "" when hidden)."""
    window.bridge.forward(
        CallChanged("c-1", Direction.IN, BOB, CallState.RINGING, display_name=display_name)
    )
    qtbot.waitUntil(lambda: "c-1" in window.incoming_dialogs, timeout=1000)
    dialog = window.incoming_dialogs["c-1"]
    address = dialog.address.text() if not dialog.address.isHidden() else ""
    return dialog.caller.text(), address


def test_a_contact_name_wins_over_the_sip_display_name(
    qtbot: QtBot, make_window: WindowFactory
) -> None:
    window = make_window()
    window.contacts.add(Contact("Bob (work)", "sip:bob@10.0.1.3"))  # saved without a port
    window.peers.add(BOB_PEER)
    assert _ring(qtbot, window, display_name="Robert") == ("Bob (work)", BOB)
    assert window.tray.last_notice == f"Bob (work)\n{BOB}"


def test_the_sip_display_name_wins_over_the_lan_name(
    qtbot: QtBot, make_window: WindowFactory
) -> None:
    window = make_window()
    window.peers.add(BOB_PEER)
    assert _ring(qtbot, window, display_name="Robert") == ("Robert", BOB)
    assert window.tray.last_notice == f"Robert\n{BOB}"


def test_a_lan_peer_is_named_by_its_dns_sd_instance_name(
    qtbot: QtBot, make_window: WindowFactory
) -> None:
    window = make_window()
    window.peers.add(BOB_PEER)
    assert _ring(qtbot, window) == ("Bob Lab", BOB)


def test_an_unknown_caller_shows_the_address_once(qtbot: QtBot, make_window: WindowFactory) -> None:
    window = make_window()
    assert _ring(qtbot, window) == (BOB, "")
    assert window.tray.last_notice == BOB


def test_the_call_panel_names_an_outgoing_call_to_a_lan_peer(
    qtbot: QtBot, make_window: WindowFactory
) -> None:
    window = make_window()
    window.peers.add(BOB_PEER)
    window.bridge.forward(CallChanged("c-2", Direction.OUT, BOB, CallState.CONFIRMED))
    panel = window.call_panel
    qtbot.waitUntil(lambda: panel.caller.text() == "Bob Lab", timeout=1000)
    assert panel.remote.text() == BOB and not panel.remote.isHidden()
    assert window.tray.status.endswith(": Bob Lab")


def test_history_names_the_remote_with_the_address_beneath(make_window: WindowFactory) -> None:
    window = make_window()
    store = window.models.history_store
    store.begin("c1", HistoryDirection.OUT, BOB, 1000.0)
    store.begin("c2", HistoryDirection.IN, "sip:eve@192.0.2.9", 1100.0)
    window.history.reload()
    window.peers.add(BOB_PEER)
    window.contacts.add(Contact("Eve", "sip:eve@192.0.2.9"))
    who = [window.history.index(row, 1) for row in range(2)]
    assert [index.data() for index in who] == ["Eve", "Bob Lab"]
    assert [index.data(ItemRole.SUBTITLE) for index in who] == ["sip:eve@192.0.2.9", BOB]


def test_history_names_an_unknown_party_by_the_display_name_the_call_carried(
    make_window: WindowFactory,
) -> None:
    window = make_window()
    store = window.models.history_store
    store.begin("c1", HistoryDirection.IN, "sip:eve@192.0.2.9", 1000.0, "Eve Example")
    store.begin("c2", HistoryDirection.IN, "sip:zed@192.0.2.8", 1100.0)  # no name given
    window.history.reload()
    who = [window.history.index(row, 1) for row in range(2)]
    assert [index.data() for index in who] == ["sip:zed@192.0.2.8", "Eve Example"]
    window.contacts.add(Contact("Eve (work)", "sip:eve@192.0.2.9"))  # a contact comes first
    assert window.history.index(1, 1).data() == "Eve (work)"
    assert window.history.index(1, 1).data(ItemRole.SUBTITLE) == "sip:eve@192.0.2.9"


def test_addresses_match_without_scheme_case_params_or_a_missing_port() -> None:
    assert same_address("sip:bob@Example.COM;transport=tcp", "bob@example.com:5060")
    assert same_address("sips:bob@[2001:db8::1]:5061", "sip:bob@2001:db8::1")
    assert not same_address("sip:bob@h:5060", "sip:bob@h:5070")
    assert not same_address("sip:bob@h", "sip:alice@h")


def test_a_peer_calling_as_another_user_is_named_by_its_host() -> None:
    assert caller_name("sip:alexphone@10.0.1.3:40123", "", (), (BOB_PEER,)) == "Bob Lab"
    assert caller_name("sip:alexphone@10.0.1.4", "", (), (BOB_PEER,)) == "sip:alexphone@10.0.1.4"
