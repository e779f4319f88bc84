"""Wire: a burst of frames leaves in one write, on any event loop's transport."""

from __future__ import annotations

import json

from adapters.widget_wire import Wire, encode


class LoopTransport:
    """A transport as uvloop makes them: writes like asyncio's, subclasses nothing of it."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def is_closing(self) -> bool:
        return False

    def get_write_buffer_size(self) -> int:
        return 0


async def _never_drains() -> None:
    raise AssertionError("nothing is buffered: no drain")


def _payloads(data: bytes) -> list[dict[str, object]]:
    """The JSON payloads of the short unmasked text frames in ``data``."""
    frames = []
    while data:
        size = data[1]
        frames.append(json.loads(data[2 : 2 + size]))
        data = data[2 + size :]
    return frames


async def test_a_burst_leaves_in_one_write_on_a_transport_that_is_not_asyncios() -> None:
    transport = LoopTransport()
    wire = Wire(lambda: False, transport, _never_drains)  # type: ignore[arg-type]
    wire.put({"type": "ack", "id": "m1"})
    wire.put(encode({"type": "message", "seq": 2, "text": "Hi!"}))
    await wire.flush()
    assert len(transport.writes) == 1
    assert _payloads(transport.writes[0]) == [
        {"type": "ack", "id": "m1"},
        {"type": "message", "seq": 2, "text": "Hi!"},
    ]


async def test_nothing_is_written_once_the_socket_closed() -> None:
    transport = LoopTransport()
    wire = Wire(lambda: True, transport, _never_drains)  # type: ignore[arg-type]
    wire.put({"type": "ack", "id": "m1"})
    await wire.flush()
    wire.write_now(encode({"type": "typing"}))
    assert transport.writes == []
