"""What a phone is told to be: listeners, identity, accounts; validated on construction."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from alexphone.core.address import Address
from alexphone.core.errors import ConfigError, ParseError
from alexphone.media.audio_spec import (
    DEFAULT_DEVICE,
    AudioSpec,
    EchoControl,
    parse_audio_in,
    parse_audio_out,
    parse_echo_control,
)
from alexphone.net.tls import TlsSettings
from alexphone.net.transport import ListenSpec, TransportKind
from alexphone.net.turn_client import TurnSettings
from alexphone.sdp.codec import DEFAULT_CODECS, Codec, parse_codec_list
from alexphone.sdp.crypto import MediaEncryption
from alexphone.sip.timer_config import TimerConfig
from alexphone.sip.uri import SipUri, parse_sip_uri

DEFAULT_LISTEN = (ListenSpec(TransportKind.UDP, "0.0.0.0", 5060),)


def audio_in_option(text: str) -> AudioSpec:
    """Parse ``--audio-in`` (DEVICE|file:X.wav|tone:HZ|silence); ConfigError if unusable."""
    return parse_audio_in(text)


def audio_out_option(text: str) -> AudioSpec:
    """Parse ``--audio-out`` (DEVICE|file:X.wav|null); ConfigError if unusable."""
    return parse_audio_out(text)


def echo_cancel_option(text: str) -> EchoControl:
    """Parse ``--echo-cancel`` (auto|on|off); ConfigError if it is none of them."""
    return parse_echo_control(text)


def codecs_option(text: str) -> tuple[Codec, ...]:
    """Parse ``--codecs opus,pcmu,pcma`` (preference order); ConfigError names the bad one."""
    try:
        return parse_codec_list(text)
    except ConfigError as exc:
        raise ConfigError(f"--codecs: {exc}") from None


def sip_t1_option(milliseconds: float) -> TimerConfig:
    """Parse ``--sip-t1 MS``: T1 in milliseconds, the base of every SIP timer (RFC 3261 §17)."""
    # RFC 3261 §17.1.1.1: 500 ms by default; larger on slow links, smaller only "within
    # closed, private networks" (a test lab); T2 (4 s) and T4 (5 s) stay as they are
    if not 10 <= milliseconds <= 4000:
        raise ConfigError(f"--sip-t1 {milliseconds:g}: use 10..4000 milliseconds")
    return TimerConfig(t1=milliseconds / 1000)


def sip_uri_option(text: str, option: str) -> SipUri:
    """Parse a user-given SIP URI, raising ConfigError that names the option on failure."""
    candidate = text if text.lower().startswith(("sip:", "sips:")) else "sip:" + text
    try:
        return parse_sip_uri(candidate)
    except ParseError as exc:
        raise ConfigError(f"{option}: {text!r} is not a SIP URI ({exc})") from None


@dataclass(frozen=True, slots=True)
class AccountSettings:
    """A SIP account: address of record, credentials, where to register and how to get there."""

    aor: SipUri
    password: str | None = field(default=None, repr=False)  # never in logs or events
    username: str | None = None
    registrar: SipUri | None = None
    expires: int = 600
    transport: TransportKind | None = None  # None: what the proxy/registrar URI says
    proxy: SipUri | None = None  # this account's outbound proxy; None: the phone's --proxy

    def __post_init__(self) -> None:
        if self.aor.user is None:
            raise ConfigError(
                f"--account {self.aor}: the account needs a user part (sip:user@domain)"
            )
        if not 60 <= self.expires <= 86400:
            raise ConfigError(f"registration expiry {self.expires}s: use 60..86400 seconds")

    @property
    def auth_username(self) -> str:
        """Return the name to authenticate as (defaults to the AoR's user)."""
        return self.username or self.aor.user or ""

    @property
    def registrar_uri(self) -> SipUri:
        """Return the Request-URI of REGISTER: the registrar, else the AoR's domain (§10.2)."""
        if self.registrar is not None:
            return self.registrar
        return SipUri(host=self.aor.host, port=self.aor.port, scheme=self.aor.scheme)

    @property
    def key(self) -> str:
        """Return the account's name in events and commands: its AoR without parameters."""
        return str(replace(self.aor, params=(), headers=()))

    def first_hop(self, phone_proxy: SipUri | None) -> SipUri:
        """Return where this account's requests go first: its proxy, the phone's, the registrar.

        The account's transport, when it has one, replaces the URI's (RFC 3263 §4.1).
        """
        hop = self.proxy or phone_proxy or self.registrar_uri
        if self.transport is None:
            return hop
        return hop.with_params(transport=self.transport.value)

    def route(self, phone_proxy: SipUri | None) -> SipUri | None:
        """Return the proxy to pre-load as Route (§8.1.2), with our transport; None: none."""
        proxy = self.proxy or phone_proxy
        if proxy is None:
            return None
        return (
            proxy if self.transport is None else proxy.with_params(transport=self.transport.value)
        )


def transport_option(text: str, option: str) -> TransportKind | None:
    """Parse an account's transport (udp, tcp, tls; "" for none); ConfigError names ``option``."""
    if not text:
        return None
    try:
        return TransportKind(text.lower())
    except ValueError:
        raise ConfigError(f"{option}: {text!r} is not udp, tcp or tls") from None


@dataclass(frozen=True, slots=True)
class PhoneSettings:
    """Everything the engine needs to start one phone."""

    listen: tuple[ListenSpec, ...] = DEFAULT_LISTEN
    # a listen port another program holds moves to a free one (ListenPortTaken); the CLI
    # sets it when the listeners are the default ones, never for an explicit --listen
    listen_fallback: bool = False
    profile: Path = field(default_factory=lambda: Path.cwd())
    user: str = "alexphone"
    display_name: str | None = None
    accounts: tuple[AccountSettings, ...] = ()  # the first is the default for outgoing calls
    proxy: SipUri | None = None
    auto_answer: float | None = None
    user_agent: str = "Alexphone/0.1"
    tls: TlsSettings = field(default_factory=TlsSettings)  # certificates and trust for sips:
    audio_in: AudioSpec = DEFAULT_DEVICE
    audio_out: AudioSpec = DEFAULT_DEVICE
    echo_cancel: EchoControl = EchoControl.AUTO  # AEC and noise suppression on the microphone
    codecs: tuple[Codec, ...] = DEFAULT_CODECS  # preference order (--codecs)
    complexity: int = 10  # Opus encoder complexity 0..10 (10 costs ~0.5 % of a core)
    media_timeout: float = 30.0  # seconds without RTP/RTCP before the call ends
    media_encryption: MediaEncryption = MediaEncryption.OPTIONAL  # SDES-SRTP policy
    log_sip: bool = False  # emit a sip.message event for every message (the GUI's SIP log)
    show_secrets: bool = False  # sip.message keeps digest responses, ALEX/ICE pwd, SDES keys
    audio_levels: bool = False  # emit audio.level 5x/s during calls (the GUI's meters)
    dns_server: Address | None = None  # --dns-server; None: the system's resolver
    mdns: bool = False  # DNS-SD on the LAN (the CLI turns it on unless --no-mdns)
    mdns_interfaces: tuple[str, ...] = ()  # --mdns-interface; empty: every interface
    local_domain: str | None = None  # for outbound-proxy discovery; None: from resolv.conf
    stun: Address | None = None  # --stun; None: the TURN server, if any, else none
    turn: TurnSettings | None = None  # --turn: relayed media addresses (docs/ALEX.md "Gathering")
    alex: bool = True  # docs/ALEX.md; --no-alex turns it off
    sip_timers: TimerConfig = field(default_factory=TimerConfig)  # --sip-t1: T1 and all A–M

    def __post_init__(self) -> None:
        if not self.listen:
            raise ConfigError("--listen: give at least one udp:HOST:PORT or tcp:HOST:PORT")
        if self.auto_answer is not None and not 0 <= self.auto_answer <= 3600:
            raise ConfigError("--auto-answer: seconds must be between 0 and 3600")
        if not self.codecs:
            raise ConfigError("--codecs: give at least one of opus, pcmu, pcma")
        if not 0 <= self.complexity <= 10:
            raise ConfigError("--complexity: use 0..10")
        if not 1 <= self.media_timeout <= 3600:
            raise ConfigError("--media-timeout: seconds must be between 1 and 3600")
        keys = [account.key for account in self.accounts]
        for key in keys:
            if keys.count(key) > 1:
                raise ConfigError(f"--account {key}: given twice")

    @property
    def account(self) -> AccountSettings | None:
        """Return the default account (the first), None without one."""
        return self.accounts[0] if self.accounts else None

    def find_account(self, name: str) -> AccountSettings:
        """Return the account ``name`` means (its AoR, user@domain or user); ConfigError if none.

        A user part shared by two accounts is ambiguous and says so.
        """
        wanted = name.strip().lower()
        bare = wanted.split(":", 1)[1] if wanted.startswith(("sip:", "sips:")) else wanted
        exact = [a for a in self.accounts if a.key.lower().split(":", 1)[1] == bare]
        by_user = [a for a in self.accounts if (a.aor.user or "").lower() == bare]
        for found in (exact, by_user):
            if len(found) == 1:
                return found[0]
            if len(found) > 1:
                raise ConfigError(f"--account {name}: more than one account is {name!r}")
        known = ", ".join(a.key for a in self.accounts) or "none"
        raise ConfigError(f"--account {name}: no such account (accounts: {known})")
