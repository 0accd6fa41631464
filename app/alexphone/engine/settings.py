"""What a phone is told to be: listeners, identity, account; validated on construction."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from alexphone.core.errors import ConfigError, ParseError
from alexphone.net.transport import ListenSpec, TransportKind
from alexphone.sip.uri import SipUri, parse_sip_uri

DEFAULT_LISTEN = (ListenSpec(TransportKind.UDP, "0.0.0.0", 5060),)


def sip_uri_option(text: str, option: str) -> SipUri:
    """Parse a user-given SIP URI, raising ConfigError that names the option on failure."""
    candidate = text if text.lower().startswith(("sip:", "sips:")) else "sip:" + text
    try:
        return parse_sip_uri(candidate)
    except ParseError as exc:
        raise ConfigError(f"{option}: {text!r} is not a SIP URI ({exc})") from None


@dataclass(frozen=True, slots=True)
class AccountSettings:
    """A SIP account: address of record, credentials, where to register."""

    aor: SipUri
    password: str | None = None
    username: str | None = None
    registrar: SipUri | None = None
    expires: int = 600

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


@dataclass(frozen=True, slots=True)
class PhoneSettings:
    """Everything the engine needs to start one phone."""

    listen: tuple[ListenSpec, ...] = DEFAULT_LISTEN
    profile: Path = field(default_factory=lambda: Path.cwd())
    user: str = "alexphone"
    display_name: str | None = None
    account: AccountSettings | None = None
    proxy: SipUri | None = None
    auto_answer: float | None = None
    user_agent: str = "Alexphone/0.1"

    def __post_init__(self) -> None:
        if not self.listen:
            raise ConfigError("--listen: give at least one udp:HOST:PORT or tcp:HOST:PORT")
        if self.auto_answer is not None and not 0 <= self.auto_answer <= 3600:
            raise ConfigError("--auto-answer: seconds must be between 0 and 3600")
