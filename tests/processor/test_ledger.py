"""Acks go out in receive order, only once a message is done, and never for a previous connection's mids."""

from __future__ import annotations

import aiomqtt

from processor.acks import Acknowledger
from processor.ledger import Ledger


def _recording(client: aiomqtt.Client) -> list[int]:
    """The mids paho is asked to PUBACK (the client is never connected: paho just queues the packet)."""
    sent: list[int] = []
    original = client._client.ack

    def ack(mid: int, qos: int) -> object:
        sent.append(mid)
        return original(mid, qos)

    client._client.ack = ack  # type: ignore[method-assign]
    return sent


async def test_acks_wait_for_earlier_messages_and_skip_qos_0():
    client = aiomqtt.Client("127.0.0.1", 1)
    sent = _recording(client)
    acknowledger = Acknowledger()
    acknowledger.attach(client)
    ledger = Ledger(acknowledger)
    first, second, third, fourth = (ledger.track(mid, qos) for mid, qos in ((1, 1), (2, 1), (3, 0), (4, 1)))

    second.done = third.done = True  # a dropped message is done at once...
    ledger.release()
    assert sent == []  # ...but waits for the one before it, still in a batch
    first.done = True
    ledger.release()
    assert sent == [1, 2]
    fourth.done = True
    ledger.release()
    assert sent == [1, 2, 4]
    assert ledger.waiting == 0


async def test_mids_of_a_previous_connection_are_never_acked():
    old_client, new_client = aiomqtt.Client("127.0.0.1", 1), aiomqtt.Client("127.0.0.1", 1)
    old_sent, new_sent = _recording(old_client), _recording(new_client)
    acknowledger = Acknowledger()
    acknowledger.attach(old_client)
    ledger = Ledger(acknowledger)
    stale = ledger.track(7, 1)

    acknowledger.detach()  # the connection broke while message 7 was in a batch
    acknowledger.attach(new_client)
    ledger.forget_older_generations()
    fresh = ledger.track(7, 1)  # the broker reuses mid 7 for another message on the new connection
    stale.done = True
    ledger.release()
    assert (old_sent, new_sent) == ([], [])
    fresh.done = True
    ledger.release()
    assert (old_sent, new_sent) == ([], [7])
