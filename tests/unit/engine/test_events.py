"""The engine contract: typed fields in events, plain strings only in their JSON."""

from __future__ import annotations

import json

from alexphone.engine.events import (
    AlexCacheListed,
    AlexCacheRow,
    AlexPairChanged,
    AlexSelected,
    AudioDeviceChanged,
    CacheOutcome,
    CallMedia,
    CheckState,
    DeviceKind,
    Direction,
    Encryption,
    Flow,
    MediaDirection,
    PathKind,
    PeerAdded,
    PeerKind,
    ProxyDiscovered,
    ProxySource,
    SipMessageLogged,
)


def _line(event: object) -> str:
    assert hasattr(event, "to_json")
    return json.dumps(event.to_json())


def test_enum_fields_are_written_as_their_documented_strings() -> None:
    assert _line(SipMessageLogged(Direction.OUT, "127.0.0.1:5060", "OPTIONS")) == (
        '{"event": "sip.message", "direction": "out", "peer": "127.0.0.1:5060", "text": "OPTIONS"}'
    )
    assert _line(CallMedia("c", "opus/48000", "l:1", "r:2", PathKind.RELAY)) == (
        '{"event": "call.media", "call_id": "c", "codec": "opus/48000", "local": "l:1", '
        '"remote": "r:2", "path": "relay", "direction": "sendrecv", "encryption": "none", '
        '"suite": null}'
    )
    srtp = CallMedia(
        "c", "PCMU/8000", "l:1", "r:2", encryption=Encryption.SRTP, suite="AEAD_AES_128_GCM"
    )
    assert srtp.to_json()["encryption"] == "srtp" and srtp.to_json()["suite"] == "AEAD_AES_128_GCM"
    held = CallMedia("c", "PCMU/8000", "l:1", "r:2", direction=MediaDirection.SENDONLY)
    assert held.to_json()["path"] == "host" and held.to_json()["direction"] == "sendonly"
    assert AudioDeviceChanged(DeviceKind.INPUT, "none", "gone").to_json()["direction"] == "in"
    assert ProxyDiscovered("lab.test", "sip:p", ProxySource.MDNS).to_json()["source"] == "mdns"
    pair = AlexPairChanged("c", Flow.AUDIO, "l:1", "r:2", CheckState.IN_PROGRESS, None)
    assert pair.to_json() == {
        "event": "alex.pair",
        "call_id": "c",
        "flow": "audio",
        "local": "l:1",
        "remote": "r:2",
        "state": "in_progress",
        "rtt_ms": None,
    }
    selected = AlexSelected("c", Flow.SIP, "l:1", "r:2", PathKind.SRFLX, 3.5, True).to_json()
    assert (selected["flow"], selected["kind"]) == ("sip", "srflx")


def test_peer_events_name_the_instance_and_give_the_role() -> None:
    added = PeerAdded("bob", "sip:bob@h", ("h:5060",), True, PeerKind.REGISTRAR)
    assert added.to_json() == {
        "event": "peer.added",
        "name": "bob",
        "uri": "sip:bob@h",
        "addresses": ["h:5060"],
        "alex": True,
        "role": "registrar",
        "callable": True,
    }


def test_nested_cache_rows_are_plain_json() -> None:
    row = AlexCacheRow("p", Flow.AUDIO, "l", "r", "net", CacheOutcome.FAILED, 10.0, None)
    fields = AlexCacheListed((row,)).to_json()
    assert json.loads(json.dumps(fields)) == {
        "event": "alex.cache",
        "entries": [
            {
                "peer": "p",
                "flow": "audio",
                "local": "l",
                "remote": "r",
                "network": "net",
                "outcome": "failed",
                "updated": 10.0,
                "rtt_ms": None,
            }
        ],
    }
