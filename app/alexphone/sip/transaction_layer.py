"""The transaction layer (RFC 3261 §17): owns every transaction and routes messages to them.

Sans-I/O: the owner feeds received messages with ``receive(message, source, now)``, starts
client transactions, answers server transactions, and drains ``next_output()`` (messages
with their destination) and ``next_event()`` (what the TU must hear about). It re-arms one
timer at ``get_timer()`` and calls ``handle_timer(now)`` when it fires.

Matching: responses by top-Via branch and CSeq method (§17.1.3); requests by branch,
sent-by and method with ACK standing for INVITE (§17.2.3), or for requests without the
RFC 3261 magic cookie by Request-URI, From tag, Call-ID, CSeq number, top Via and method.
A CANCEL is its own transaction; ``RequestReceived.cancel_target`` names the INVITE server
transaction it cancels (§9.2). An ACK matching nothing (the ACK for a 2xx) and a response
matching nothing (a retransmitted 2xx after Timer M) are handed to the TU as they are.

Overload: at most ``max_servers`` server transactions live at once (each lives up to
32 s after its final response, Timers H/J). A new request beyond that is answered
statelessly 503 with Retry-After (RFC 3261 §21.5.4) and never reaches the TU, so a
request flood cannot grow the layer without bound.
Before refusing, the oldest transaction that is only waiting out its Timer H/I/J/K (final
response sent: Completed or Confirmed) is let go to make room; it would do nothing but
absorb retransmissions, and a flood's transactions are almost all of that kind. A request
is refused only when the live ones that still wait for an answer fill the layer. The last
``dialog_reserve`` places (an eighth by default) are kept for requests inside a dialog
(with a To tag, §12.2), so the BYE or re-INVITE of a call gets through even then.

Timers: every transaction's next deadline goes on one heap each time the layer has fed it
(``_drain``); entries whose transaction is gone or has moved its deadline are dropped when
they reach the top. ``get_timer`` and ``handle_timer`` so cost O(log n) per deadline instead
of a scan of every live transaction, which under a request flood (a thousand transactions
waiting out Timer H/J) ran after every datagram and took most of the daemon's CPU.
"""

from __future__ import annotations

import heapq
from collections import deque

from alexphone.core.errors import LocalProtocolError
from alexphone.core.ids import BRANCH_MAGIC
from alexphone.sip.client_transaction import (
    ClientTransaction,
    InviteClientTransaction,
    NonInviteClientTransaction,
)
from alexphone.sip.message import Message, Request, Response, make_response
from alexphone.sip.server_transaction import (
    InviteServerTransaction,
    NonInviteServerTransaction,
    ServerTransaction,
)
from alexphone.sip.timer_config import TimerConfig
from alexphone.sip.transaction import (
    AckReceived,
    Outgoing,
    RequestReceived,
    State,
    StrayResponseReceived,
    Transaction,
    TransactionEvent,
    TransactionId,
    TransactionTerminated,
)

Key = tuple[object, ...]
OVERLOAD_TAG = "overload"  # a stateless 503 needs a To tag (RFC 3261 §8.2.6.2), any will do
RETRY_AFTER = 5  # seconds
_ANSWERED = (State.COMPLETED, State.CONFIRMED)  # final response sent: only Timers H/I/J/K left


def client_key(message: Message) -> tuple[str, str]:
    """Return the RFC 3261 §17.1.3 key: top-Via branch and CSeq method."""
    return (message.top_via.branch or "", message.cseq.method)


def server_key(request: Request, method: str | None = None) -> Key:
    """Return the RFC 3261 §17.2.3 key of ``request`` (ACK keys as the INVITE it acknowledges)."""
    via = request.top_via
    method = method or ("INVITE" if request.method == "ACK" else request.method)
    branch = via.branch
    if branch is not None and branch.startswith(BRANCH_MAGIC):
        return (branch, via.host.lower(), via.port, method)
    # RFC 2543 peers: no usable branch. The To tag is left out so that the ACK (which
    # carries our tag) still meets its INVITE (which carried none).
    return (
        str(request.uri),
        request.from_.tag,
        request.call_id,
        request.cseq.seq,
        via.transport,
        via.host.lower(),
        via.port,
        via.branch,
        method,
    )


class TransactionLayer:
    """Creates, feeds and forgets client and server transactions; queues output and events."""

    def __init__(
        self,
        config: TimerConfig | None = None,
        *,
        max_servers: int = 1024,
        dialog_reserve: int | None = None,
    ) -> None:
        self.config = config if config is not None else TimerConfig()
        self.max_servers = max_servers
        self.dialog_reserve = max_servers // 8 if dialog_reserve is None else dialog_reserve
        self.overloaded = 0  # requests answered 503 because max_servers were live
        self.evicted = 0  # answered transactions let go early to make room
        self._next_id = 1
        self._transactions: dict[TransactionId, Transaction] = {}
        self._clients: dict[Key, TransactionId] = {}
        self._servers: dict[Key, TransactionId] = {}
        self._keys: dict[TransactionId, Key] = {}
        self._output: deque[Outgoing] = deque()
        self._events: deque[TransactionEvent] = deque()
        self._deadlines: list[tuple[float, TransactionId]] = []  # a lazy heap (see the top)

    def __len__(self) -> int:
        return len(self._transactions)

    def state(self, transaction_id: TransactionId) -> State | None:
        """Return the state of a live transaction, None once it is forgotten."""
        transaction = self._transactions.get(transaction_id)
        return None if transaction is None else transaction.state

    def start_client(
        self, request: Request, destination: object, now: float, *, reliable: bool
    ) -> TransactionId:
        """Send ``request`` in a new client transaction toward ``destination``."""
        if request.method == "ACK":
            raise LocalProtocolError("ACK is sent without a transaction (RFC 3261 §17.1)")
        key = client_key(request)
        if not key[0].startswith(BRANCH_MAGIC):
            raise LocalProtocolError("request needs a top Via branch with the magic cookie")
        if key in self._clients:
            raise LocalProtocolError(f"a client transaction for branch {key[0]} already exists")
        kind = InviteClientTransaction if request.method == "INVITE" else NonInviteClientTransaction
        transaction = kind(
            self._new_id(), request, destination, reliable=reliable, config=self.config
        )
        self._register(transaction, key, self._clients)
        transaction.start(now)
        self._drain(transaction)
        return transaction.id

    def receive(self, message: Message, source: object, now: float, *, reliable: bool) -> None:
        """Route a received message; raises ParseError if its Via or CSeq is unreadable."""
        if isinstance(message, Response):
            self._receive_response(message, source, now)
        else:
            self._receive_request(message, source, now, reliable)

    def respond(self, transaction_id: TransactionId, response: Response, now: float) -> bool:
        """Send the TU's response in a server transaction; False if it is already gone."""
        transaction = self._transactions.get(transaction_id)
        if transaction is None:
            return False
        if not isinstance(transaction, ServerTransaction):
            raise LocalProtocolError(f"transaction {transaction_id} is a client transaction")
        transaction.respond(response, now)
        self._drain(transaction)
        return True

    def transport_failed(self, transaction_id: TransactionId, now: float) -> None:
        """Report that a message of this transaction could not be sent (RFC 3261 §17.1.4)."""
        transaction = self._transactions.get(transaction_id)
        if transaction is not None:
            transaction.transport_failed(now)
            self._drain(transaction)

    def send(self, message: Message, destination: object) -> None:
        """Queue a message sent outside any transaction (ACK for 2xx, 2xx retransmissions)."""
        self._output.append(Outgoing(message, destination))

    def get_timer(self) -> float | None:
        """Return the earliest timer deadline over all transactions."""
        heap = self._deadlines
        while heap:
            deadline, transaction_id = heap[0]
            if self._current(transaction_id, deadline) is not None:
                return deadline
            heapq.heappop(heap)  # stale: the transaction is gone or moved its deadline
        return None

    def handle_timer(self, now: float) -> None:
        """Fire every timer due at ``now``."""
        heap = self._deadlines
        while heap and heap[0][0] <= now:  # each firing leaves its transaction's next > now
            deadline, transaction_id = heapq.heappop(heap)
            transaction = self._current(transaction_id, deadline)
            if transaction is not None:
                transaction.handle_timer(now)
                self._drain(transaction)

    def _current(self, transaction_id: TransactionId, deadline: float) -> Transaction | None:
        """The live transaction whose next deadline is ``deadline``, None if the entry is stale."""
        transaction = self._transactions.get(transaction_id)
        if transaction is None or transaction.get_timer() != deadline:
            return None
        return transaction

    def next_output(self) -> Outgoing | None:
        """Pop the oldest message to send, None if there is none."""
        return self._output.popleft() if self._output else None

    def next_event(self) -> TransactionEvent | None:
        """Pop the oldest event for the TU, None if there is none."""
        return self._events.popleft() if self._events else None

    def _receive_response(self, response: Response, source: object, now: float) -> None:
        transaction_id = self._clients.get(client_key(response))
        transaction = None if transaction_id is None else self._transactions[transaction_id]
        if not isinstance(transaction, ClientTransaction):
            self._events.append(StrayResponseReceived(response, source))
            return
        transaction.receive(response, now)
        self._drain(transaction)

    def _receive_request(
        self, request: Request, source: object, now: float, reliable: bool
    ) -> None:
        key = server_key(request)
        transaction_id = self._servers.get(key)
        if transaction_id is not None:
            transaction = self._transactions[transaction_id]
            assert isinstance(transaction, ServerTransaction)
            transaction.receive(request, now)
            self._drain(transaction)
            return
        if request.method == "ACK":
            self._events.append(AckReceived(request, source))  # RFC 3261 §17.2.3: for the TU
            return
        room = self.max_servers if request.to.tag else self.max_servers - self.dialog_reserve
        if len(self._servers) >= room and not self._let_one_go():
            self.overloaded += 1
            busy = make_response(request, 503, "Service Unavailable", to_tag=OVERLOAD_TAG)
            busy.headers.set("Retry-After", str(RETRY_AFTER))
            self._output.append(Outgoing(busy, source))
            return
        kind = InviteServerTransaction if request.method == "INVITE" else NonInviteServerTransaction
        server = kind(self._new_id(), request, source, reliable=reliable, config=self.config)
        self._register(server, key, self._servers)
        target = None
        if request.method == "CANCEL":
            target = self._servers.get(server_key(request, "INVITE"))  # RFC 3261 §9.2
        self._events.append(RequestReceived(server.id, request, source, target))
        server.start(now)
        self._drain(server)

    def _let_one_go(self) -> bool:
        """End the oldest server transaction that has answered (Completed/Confirmed), if any."""
        for transaction_id in self._servers.values():  # insertion order: oldest first
            transaction = self._transactions[transaction_id]
            if transaction.state in _ANSWERED:
                self._forget(transaction)
                self._events.append(TransactionTerminated(transaction_id))
                self.evicted += 1
                return True
        return False

    def _new_id(self) -> TransactionId:
        transaction_id = TransactionId(self._next_id)
        self._next_id += 1
        return transaction_id

    def _register(
        self,
        transaction: Transaction,
        key: Key,
        index: dict[Key, TransactionId],
    ) -> None:
        self._transactions[transaction.id] = transaction
        self._keys[transaction.id] = key
        index[key] = transaction.id

    def _drain(self, transaction: Transaction) -> None:
        while (item := transaction.next_output()) is not None:
            self._output.append(item)
        while (event := transaction.next_event()) is not None:
            self._events.append(event)
            if isinstance(event, TransactionTerminated):
                self._forget(transaction)
        deadline = transaction.get_timer()
        if deadline is not None and transaction.id in self._transactions:
            heapq.heappush(self._deadlines, (deadline, transaction.id))

    def _forget(self, transaction: Transaction) -> None:
        key = self._keys.pop(transaction.id)
        del self._transactions[transaction.id]
        index = self._clients if isinstance(transaction, ClientTransaction) else self._servers
        index.pop(key, None)
