"""Acks go out in receive order, only once a message is done, and never for a previous connection's mids."""

from __future__ import annotations

import struct

import aiomqtt

from processor.acks import Acknowledger
from processor.ledger import Ledger


def _pubacks(client: aiomqtt.Client) -> list[int]:
    """The mids of the PUBACKs queued for the broker (the client never connects, so paho keeps the bytes)."""
    wire = b"".join(bytes(packet["packet"]) for packet in client._client._out_packet)
    mids = []
    for start in range(0, len(wire), 4):
        command, length, mid = struct.unpack_from("!BBH", wire, start)
        assert (command, length) == (0x40, 2)  # a PUBACK, MQTT 3.1.1 section 3.4
        mids.append(mid)
    return mids


async def test_acks_wait_for_earlier_messages_and_skip_qos_0():
    client = aiomqtt.Client("127.0.0.1", 1)
    acknowledger = Acknowledger()
    acknowledger.attach(client)
    ledger = Ledger(acknowledger)
    first, second, third, fourth = (ledger.track(mid, qos) for mid, qos in ((1, 1), (2, 1), (3, 0), (4, 1)))

    second.done = third.done = True  # a dropped message is done at once...
    ledger.release()
    assert _pubacks(client) == []  # ...but waits for the one before it, still in a batch
    first.done = True
    ledger.release()
    assert _pubacks(client) == [1, 2]
    fourth.done = True
    ledger.release()
    assert _pubacks(client) == [1, 2, 4]
    assert ledger.waiting == 0


async def test_mids_of_a_previous_connection_are_never_acked():
    old_client, new_client = aiomqtt.Client("127.0.0.1", 1), aiomqtt.Client("127.0.0.1", 1)
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
    assert (_pubacks(old_client), _pubacks(new_client)) == ([], [])
    fresh.done = True
    ledger.release()
    assert (_pubacks(old_client), _pubacks(new_client)) == ([], [7])


async def test_a_run_of_messages_is_acked_as_one_in_its_place_in_receive_order():
    client = aiomqtt.Client("127.0.0.1", 1)
    acknowledger = Acknowledger()
    acknowledger.attach(client)
    ledger = Ledger(acknowledger)
    before = ledger.track(1, 1)
    run = ledger.track_run()  # ingest's common path: one ticket for consecutive messages of one write
    run.mids += [2, 3, 4]
    after = ledger.track(5, 1)

    after.done = True
    run.done = True
    ledger.release()
    assert _pubacks(client) == []  # the whole run waits for the message before it
    before.done = True
    ledger.release()
    assert _pubacks(client) == [1, 2, 3, 4, 5]
    assert ledger.waiting == 0
