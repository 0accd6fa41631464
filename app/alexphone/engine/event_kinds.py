"""The kinds and states engine events carry (enums; their values are the JSON strings)."""

from __future__ import annotations

from enum import Enum


class RegistrationState(Enum):
    """What a user sees of an account's registration."""

    REGISTERING = "registering"
    REGISTERED = "registered"
    FAILED = "failed"
    UNREGISTERED = "unregistered"


class CallState(Enum):
    """What a user sees of a call."""

    CALLING = "calling"
    RINGING = "ringing"
    EARLY = "early"
    CONFIRMED = "confirmed"
    HELD = "held"
    ENDED = "ended"


class CallMode(Enum):
    """How a call shares the phone's microphone and speaker with the other calls."""

    ACTIVE = "active"  # we talk with it
    HELD = "held"  # we put it on hold: it hears nothing and is not heard
    CONFERENCE = "conference"  # merged: it also hears the other conference calls


class TransferState(Enum):
    """Where a transfer (REFER, RFC 3515; Replaces, RFC 3891) stands, as a user sees it."""

    REQUESTED = "requested"  # a REFER was sent or received
    ACCEPTED = "accepted"  # the transferee took our REFER (202)
    TRYING = "trying"  # the transferee is calling the target
    SUCCEEDED = "succeeded"  # the target answered the transferee
    FAILED = "failed"  # refused, or the call to the target failed
    REPLACED = "replaced"  # the target's side: a call with Replaces took this call's place


class TransferRole(Enum):
    """Our part in a transfer (RFC 5589 §2)."""

    TRANSFEROR = "transferor"  # we sent the REFER
    TRANSFEREE = "transferee"  # we were asked to call the target
    TARGET = "target"  # the transferee called us, replacing our consultation call


class MoveOutcome(Enum):
    """How a call's peer took our move to another network (docs/ARCHITECTURE.md "Mobility")."""

    OFFERED = "offered"  # the re-INVITE with our new address is out
    FOLLOWED = "followed"  # the peer accepted it: its media comes to the new address
    REFUSED = "refused"  # the peer kept the old session (or never answered): it may drop
    # nothing answered through the new network (a captive portal, a firewall): tried again
    UNANSWERED = "unanswered"


class NetworkState(Enum):
    """Whether the network we are on can carry calls."""

    CONNECTED = "connected"  # a default route: calls follow us here
    NO_ROUTE = "no_route"  # no default route: calls wait for one
    # a default route only in an address family we do not listen on (an IPv6-only network
    # for a phone on IPv4): calls and the registration wait as without a route
    OTHER_FAMILY = "other_family"


class Direction(Enum):
    """Which way a call or a SIP message goes: ``in`` from the peer, ``out`` from us."""

    IN = "in"
    OUT = "out"


class MediaDirection(Enum):
    """What a call's audio does now (the SDP direction attribute, RFC 4566 §6)."""

    SENDRECV = "sendrecv"
    SENDONLY = "sendonly"
    RECVONLY = "recvonly"
    INACTIVE = "inactive"


class Encryption(Enum):
    """How a call's media is protected on the wire."""

    NONE = "none"  # plain RTP
    SRTP = "srtp"  # SRTP with SDES keys from the SDP (RFC 3711, RFC 4568)
    DTLS_SRTP = "dtls-srtp"  # SRTP with keys from a DTLS handshake on the media path (RFC 5764)


class DeviceKind(Enum):
    """Which end of the audio a sound device serves."""

    INPUT = "in"  # the microphone
    OUTPUT = "out"  # the speaker


class Flow(Enum):
    """What an ALEX pair carries."""

    SIP = "sip"
    AUDIO = "audio"
    RTCP = "rtcp"  # ICE component 2, with an ICE peer that does not multiplex RTCP


class CheckState(Enum):
    """A candidate pair's check state as reported (RFC 8445 §6.1.2.6; frozen is not reported)."""

    WAITING = "waiting"
    IN_PROGRESS = "in_progress"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class PathKind(Enum):
    """The least direct candidate type on a path: how directly audio reaches the peer."""

    HOST = "host"
    SRFLX = "srflx"
    PRFLX = "prflx"
    RELAY = "relay"


class PeerKind(Enum):
    """What a LAN peer offers (its DNS-SD service type)."""

    UA = "ua"
    PROXY = "proxy"
    REGISTRAR = "registrar"


class ProxySource(Enum):
    """Where an outbound proxy was found."""

    DNS = "dns"  # RFC 3263 NAPTR/SRV of the local domain
    MDNS = "mdns"  # a LAN proxy announced by DNS-SD


class TrialOutcome(Enum):
    """What trying an account's registration found, as a user would put it."""

    REGISTERED = "registered"
    WRONG_PASSWORD = "wrong_password"  # 401/403/407 with our credentials
    NO_SERVER = "no_server"  # no address for the domain (RFC 3263 found nothing)
    NO_ANSWER = "no_answer"  # the server never answered (Timer F, 408)
    REFUSED = "refused"  # any other final failure


class ErrorSource(Enum):
    """Which part of the phone an ``error`` event comes from."""

    CALL = "call"  # a call could not be placed
    AUDIO = "audio"  # a sound card failed or is not one
    MEDIA = "media"  # a call's RTP could not start
    DTMF = "dtmf"
    ALEX = "alex"  # checks found no path, lost consent or restart
    DNS = "dns"
    MDNS = "mdns"
    SOUND = "sound"  # a ring or test tone could not play
    PROFILE = "profile"  # the profile's database is unusable
    TRANSFER = "transfer"  # a transfer could not start


class CacheOutcome(Enum):
    """The last probe result an ALEX cache entry remembers."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"
