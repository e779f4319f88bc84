"""Recent conversations in memory, so the common turn reads nothing from the database.

A turn used to begin with a SELECT of its conversation (one statement and one thread hop per
message). SqlStore now keeps the snapshot each committed turn leaves behind, in a bounded LRU,
and serves ``Unit.load`` from it. This is safe because every write to a conversation row bumps
``conversations.version`` and a turn's UPDATE of the row is conditional on the version its
snapshot was read at: if anything else wrote the conversation meanwhile (another process, a CLI,
another store on the same database), the UPDATE matches no row, the unit raises
``StaleSnapshot`` and is rolled back, the entry is dropped, and the service redoes the turn on a
fresh load. Entries change only after the COMMIT that holds their turn (``SqlUnit``).
"""

from __future__ import annotations

import itertools
import math
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.jsontext import dumps, loads
from bot.messages import ConversationKey
from bot.state import Evidence, Snapshot, Turn
from storage.codec import INITIAL_STATE, evidence_from_json, evidence_to_json, lead_changes, utc

# About 2 KiB per entry: 10,000 active conversations cost some 20 MiB.
CACHE_SIZE = 10_000


@dataclass(slots=True)
class Known:
    """What a unit knows of a conversation: enough to write a turn without reading the row.

    ``evidence`` is ``current_evidence`` as stored (JSON per slot); ``lead`` holds the lead
    card's known fields plus its stage and score; ``version`` is the row's version as read.
    ``snapshot`` is what ``load`` returns (None when the unit never loaded the conversation).
    ``new``: not in the database yet (a first contact); its ids are provisional (negative)
    until the unit's first write creates lead and conversation (``SyncUnit.create_new``, or on
    PostgreSQL the turn's one statement: ``storage.pg_turn``).
    """

    conversation_id: int
    lead_id: int
    channel: str
    version: int
    evidence: dict[str, Any]
    lead: dict[str, Any] = field(default_factory=dict)
    snapshot: Snapshot | None = None
    # ``evidence`` members as JSON text (``"slot":{...}``), in ``evidence``'s order when both
    # hold the same slots: current_evidence is written whole every turn, and encoding only the
    # slots that changed is most of its cost saved.
    encoded: dict[str, str] = field(default_factory=dict)
    new: bool = False

    def copy(self) -> Known:
        """A copy a unit may change (its turn may still roll back)."""
        return Known(
            self.conversation_id, self.lead_id, self.channel, self.version, dict(self.evidence),
            dict(self.lead), self.snapshot, dict(self.encoded), self.new,
        )  # fmt: skip

    def evidence_text(self) -> str:
        """``evidence`` as one JSON object, from the per-member texts (encoding the missing)."""
        encoded = self.encoded
        if len(encoded) != len(self.evidence):  # read from the database: some not encoded yet
            self.encoded = encoded = {
                slot: encoded.get(slot) or f"{dumps(slot)}:{dumps(value)}"
                for slot, value in self.evidence.items()
            }
        return "{" + ",".join(encoded.values()) + "}"

    def record(self, evidence: Iterable[Evidence]) -> dict[str, Evidence]:
        """Newer evidence supersedes the slot's current entry, as a database round trip has it.

        Returns each recorded slot's evidence as a fresh read would give it back: the very
        ``Evidence`` when its values are JSON already (the usual case: no decoding needed).
        """
        read: dict[str, Evidence] = {}
        for e in evidence:
            entry = evidence_to_json(e)
            text = dumps(entry)
            if _exact(e):
                read[e.slot] = e
            else:
                entry = loads(text)
                read[e.slot] = evidence_from_json(entry)
            self.evidence[e.slot] = entry
            self.encoded[e.slot] = f"{dumps(e.slot)}:{text}"
        return read


_provisional = itertools.count(-1, -1)


def provisional(key: ConversationKey) -> Known:
    """A first contact not yet in the database: the snapshot its creation will give.

    Its ids are negative, unique in the process, and never reach the database or the cache:
    the unit's first write creates lead and conversation and puts the real ids in
    (``SyncUnit.create_new``; on PostgreSQL the turn's statement, ``storage.pg_turn``). The
    engine never reads ``conversation_id``.
    """
    cid = next(_provisional)
    snapshot = Snapshot(
        conversation_id=cid, key=key, state=INITIAL_STATE, owner="bot", stage=None, score=0,
        evidence={}, context={}, opted_out=False, seq=0,
    )  # fmt: skip
    return Known(cid, cid, key.channel, 0, {}, {"stage": None, "score": 0}, snapshot, new=True)


class SnapshotCache:
    """A bounded LRU of ``Known`` by conversation key; one per store (so per process)."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.size = size
        self._by_key: OrderedDict[ConversationKey, Known] = OrderedDict()
        self._keys: dict[int, ConversationKey] = {}  # conversation id -> key, for drop()

    def __len__(self) -> int:
        return len(self._by_key)

    def __contains__(self, key: ConversationKey) -> bool:
        """Whether ``key`` has an entry (no copy, no change to the LRU order)."""
        return key in self._by_key

    def get(self, key: ConversationKey) -> Known | None:
        """A private copy of the entry for ``key``, if any."""
        known = self._by_key.get(key)
        if known is None:
            return None
        self._by_key.move_to_end(key)
        return known.copy()

    def peek(self, key: ConversationKey) -> Known | None:
        """The entry for ``key`` itself, if any: the caller copies it before changing it.

        SQLite's units copy only in the job that writes (``storage.sql_unit``): one copy a
        turn either way, and none on the event loop.
        """
        known = self._by_key.get(key)
        if known is not None:
            self._by_key.move_to_end(key)
        return known

    def put(self, known: Known) -> None:
        """Remember a conversation as committed (only after its COMMIT)."""
        snapshot = known.snapshot
        if snapshot is None or self.size <= 0:
            self.drop(known.conversation_id)
            return
        self._by_key[snapshot.key] = known
        self._by_key.move_to_end(snapshot.key)
        self._keys[known.conversation_id] = snapshot.key
        while len(self._by_key) > self.size:
            _, old = self._by_key.popitem(last=False)
            self._keys.pop(old.conversation_id, None)

    def drop(self, conversation_id: int) -> None:
        """Forget a conversation (its unit failed, or it was written without a snapshot)."""
        key = self._keys.pop(conversation_id, None)
        if key is not None:
            self._by_key.pop(key, None)

    def clear(self) -> None:
        """Forget everything."""
        self._by_key.clear()
        self._keys.clear()


_SAME = frozenset({str, bool, type(None)})  # JSON gives back an equal value of the same type
_INT_MIN, _INT_MAX = -(2**63), 2**64 - 1  # orjson's range: past it, ``json`` writes the digits


def json_exact(value: Any) -> bool:
    """Whether a JSON round trip gives back an equal value of the very same types.

    True for what JSON holds as is: str, bool, None, 64-bit ints, finite floats, and lists and
    str-keyed dicts of those (not tuples, not subclasses: JSON gives back the base types).
    Loops, not ``all()`` over generators, and strings (most members) tested in place: a turn
    checks its context and evidence on the SQLite thread, and each generator costs a frame.
    """
    kind = type(value)
    if kind in _SAME:
        return True
    if kind is int:
        return bool(_INT_MIN <= value <= _INT_MAX)
    if kind is float:
        return math.isfinite(value)  # NaN and infinities come back as null
    if kind is list:
        for v in value:  # noqa: SIM110 (a loop: no generator frame)
            if type(v) is not str and not json_exact(v):
                return False
        return True
    if kind is dict:
        for k, v in value.items():
            if type(k) is not str or (type(v) is not str and not json_exact(v)):
                return False
        return True
    return False


def _exact(e: Evidence) -> bool:
    """Whether ``e`` is what reading back its ``evidence_to_json`` entry gives (``at`` in UTC)."""
    return (
        type(e.at) is datetime
        and e.at.tzinfo is UTC
        and type(e.slot) is str
        and type(e.status) is str
        and type(e.extractor) is str
        and json_exact(e.value)
        and (type(e.raw_text) is str or json_exact(e.raw_text))
        and json_exact(e.confidence)
        and json_exact(e.message_id)
    )


def _json(value: Any) -> Any:
    """The value as a database round trip returns it (tuples become lists, and so on)."""
    return value if json_exact(value) else loads(dumps(value))


def _context(value: Mapping[str, Any], text: str) -> dict[str, Any]:
    """The context as read back: the turn's own dict when JSON gives back the same.

    Shared, not copied: a snapshot's context is never changed in place (the engine copies it
    before changing it, as it must for the cached snapshots anyway).
    """
    if type(value) is dict and json_exact(value):
        return value
    decoded: dict[str, Any] = loads(text)
    return decoded


def after_turn(
    snapshot: Snapshot,
    turn: Turn,
    seq: int,
    context: str,
    evidence_read: dict[str, Evidence],
    card: dict[str, Any] | None = None,
) -> Snapshot:
    """The snapshot a fresh ``load`` would return once ``turn`` is committed.

    Values are as they come back through the database (``context`` is the JSON text the turn
    wrote; ``evidence_read`` is what ``Known.record`` returned), so a turn decided from the
    cache sees exactly what it would see after a read. ``card``: ``lead_changes(turn.lead)``
    when the caller has it already.

    Runs on the SQLite thread for every turn (some 30 thousand instructions, measured): the
    evidence and lead mappings a turn leaves unchanged are the previous snapshot's own (shared,
    as ``_context`` shares the context: a snapshot's mappings are never changed in place), and
    the fields are passed by position (keywords cost a quarter more;
    tests/unit/test_snapshot_json.py checks the order against ``Snapshot``'s fields).
    """
    evidence = {**snapshot.evidence, **evidence_read} if evidence_read else snapshot.evidence
    changes = lead_changes(turn.lead) if card is None else card
    lead = {**snapshot.lead, **_json(changes)} if changes else snapshot.lead
    at = turn.last_inbound_at
    return Snapshot(
        snapshot.conversation_id, snapshot.key, turn.state, turn.owner, turn.stage, turn.score,
        evidence, _context(turn.context, context), turn.opted_out, seq,
        None if at is None else utc(at), lead,
    )  # fmt: skip
