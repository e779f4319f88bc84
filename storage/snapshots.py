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

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from bot.jsontext import dumps, loads
from bot.messages import ConversationKey
from bot.state import Evidence, Snapshot, Turn
from storage.codec import evidence_from_json, evidence_to_json, lead_changes, utc

# About 2 KiB per entry: 10,000 active conversations cost some 20 MiB.
CACHE_SIZE = 10_000


@dataclass(slots=True)
class Known:
    """What a unit knows of a conversation: enough to write a turn without reading the row.

    ``evidence`` is ``current_evidence`` as stored (JSON per slot); ``lead`` holds the lead
    card's known fields plus its stage and score; ``version`` is the row's version as read.
    ``snapshot`` is what ``load`` returns (None when the unit never loaded the conversation).
    """

    conversation_id: int
    lead_id: int
    channel: str
    version: int
    evidence: dict[str, Any]
    lead: dict[str, Any] = field(default_factory=dict)
    snapshot: Snapshot | None = None
    # ``evidence`` entries as JSON text, filled as needed: current_evidence is written whole
    # every turn, and encoding only the slots that changed is most of its cost saved.
    encoded: dict[str, str] = field(default_factory=dict)

    def copy(self) -> Known:
        """A copy a unit may change (its turn may still roll back)."""
        return replace(
            self, evidence=dict(self.evidence), lead=dict(self.lead), encoded=dict(self.encoded)
        )

    def evidence_text(self) -> str:
        """``evidence`` as one JSON object, from the per-slot texts (encoding the missing)."""
        encoded = self.encoded
        for slot, value in self.evidence.items():
            if slot not in encoded:
                encoded[slot] = dumps(value)
        return "{" + ",".join(f"{dumps(slot)}:{encoded[slot]}" for slot in self.evidence) + "}"

    def record(self, evidence: Iterable[Evidence]) -> None:
        """Newer evidence supersedes the slot's current entry, as a database round trip has it."""
        for e in evidence:
            text = dumps(evidence_to_json(e))
            self.evidence[e.slot] = loads(text)
            self.encoded[e.slot] = text


class SnapshotCache:
    """A bounded LRU of ``Known`` by conversation key; one per store (so per process)."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.size = size
        self._by_key: OrderedDict[ConversationKey, Known] = OrderedDict()
        self._keys: dict[int, ConversationKey] = {}  # conversation id -> key, for drop()

    def __len__(self) -> int:
        return len(self._by_key)

    def get(self, key: ConversationKey) -> Known | None:
        """A private copy of the entry for ``key``, if any."""
        known = self._by_key.get(key)
        if known is None:
            return None
        self._by_key.move_to_end(key)
        return known.copy()

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


def _json(value: Any) -> Any:
    """The value as a database round trip returns it (tuples become lists, and so on)."""
    return loads(dumps(value))


def after_turn(known: Known, snapshot: Snapshot, turn: Turn, seq: int, context: str) -> Snapshot:
    """The snapshot a fresh ``load`` would return once ``turn`` is committed.

    Values go through JSON as they do through the database (``context`` is the JSON text the
    turn wrote; ``known`` holds the evidence as recorded), so a turn decided from the cache
    sees exactly what it would see after a read.
    """
    evidence = dict(snapshot.evidence)
    for e in turn.evidence:
        evidence[e.slot] = evidence_from_json(known.evidence[e.slot])
    changes = lead_changes(turn.lead)
    lead = {**snapshot.lead, **(_json(changes) if changes else {})}
    at = turn.last_inbound_at
    return Snapshot(
        conversation_id=snapshot.conversation_id,
        key=snapshot.key,
        state=turn.state,
        owner=turn.owner,
        stage=turn.stage,
        score=turn.score,
        evidence=evidence,
        context=loads(context),
        opted_out=turn.opted_out,
        seq=seq,
        last_inbound_at=None if at is None else utc(at),
        lead=lead,
    )
