"""RFC 3261 §17 transaction timers (Table 4 of Appendix A), with RFC 6026 Timers L and M."""

from __future__ import annotations

from dataclasses import dataclass

from alexphone.core.errors import ConfigError


@dataclass(frozen=True, slots=True)
class TimerConfig:
    """Base timer values in seconds; every RFC timer A–M is derived from them."""

    t1: float = 0.5  # RTT estimate (RFC 3261 §17.1.1.1)
    t2: float = 4.0  # maximum retransmit interval for non-INVITE requests and INVITE responses
    t4: float = 5.0  # maximum time a message remains in the network
    timer_d_unreliable: float = 32.0  # RFC 3261 §17.1.1.2: "at least 32 seconds"
    # RFC 3261 §17.2.1: answer 100 Trying unless the TU answers within 200 ms
    trying_delay: float = 0.2

    def __post_init__(self) -> None:
        if not (0 < self.t1 <= self.t2) or self.t4 <= 0:
            raise ConfigError(f"invalid SIP timers T1={self.t1} T2={self.t2} T4={self.t4}")
        if self.timer_d_unreliable < 0 or self.trying_delay < 0:
            raise ConfigError("Timer D and the 100 Trying delay must not be negative")

    @property
    def a(self) -> float:
        """Initial INVITE retransmit interval over unreliable transports (§17.1.1.2)."""
        return self.t1

    @property
    def b(self) -> float:
        """INVITE client transaction timeout (§17.1.1.2)."""
        return 64 * self.t1

    def d(self, reliable: bool) -> float:
        """Wait time for response retransmissions in INVITE Completed (§17.1.1.2)."""
        return 0.0 if reliable else self.timer_d_unreliable

    @property
    def e(self) -> float:
        """Initial non-INVITE retransmit interval over unreliable transports (§17.1.2.2)."""
        return self.t1

    @property
    def f(self) -> float:
        """Non-INVITE client transaction timeout (§17.1.2.2)."""
        return 64 * self.t1

    @property
    def g(self) -> float:
        """Initial INVITE final-response retransmit interval (§17.2.1)."""
        return self.t1

    @property
    def h(self) -> float:
        """Wait time for ACK receipt (§17.2.1)."""
        return 64 * self.t1

    def i(self, reliable: bool) -> float:
        """Wait time for ACK retransmissions in INVITE Confirmed (§17.2.1)."""
        return 0.0 if reliable else self.t4

    def j(self, reliable: bool) -> float:
        """Wait time for non-INVITE request retransmissions (§17.2.2)."""
        return 0.0 if reliable else 64 * self.t1

    def k(self, reliable: bool) -> float:
        """Wait time for non-INVITE response retransmissions (§17.1.2.2)."""
        return 0.0 if reliable else self.t4

    @property
    def l(self) -> float:  # noqa: E743 - the RFC's name for it
        """Wait time for retransmissions of a 2xx in INVITE server Accepted (RFC 6026 §8.7)."""
        return 64 * self.t1

    @property
    def m(self) -> float:
        """Wait time for 2xx retransmissions in INVITE client Accepted (RFC 6026 §8.4)."""
        return 64 * self.t1
