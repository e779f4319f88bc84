"""The extractor guard: every output of the extractors and the engine on a large corpus, as text.

Speed work on the extractors must not change a single answer. Record the outputs on the tree
before the change, then on the tree after it, with the same corpus, and compare the files:

    python -m bench.guard /tmp/base.txt --texts /tmp/texts.json     # on the old tree (makes texts)
    python -m bench.guard /tmp/new.txt --texts /tmp/texts.json      # on the new tree
    cmp /tmp/base.txt /tmp/new.txt

The corpus is every string literal in the project's Python, every line of its YAML and text
files, their lower-case, upper-case and punctuated variants, and 6,000 random pairs of them
joined (about 40,000 texts). For each text: every extractor with both loose flags and two dates,
on the plain text and on the message prepared as a turn prepares it; every cue; ``read_text``
for every asked slot. Then 2,500 random conversations (a third of the lines clicks) through
``Engine.decide``. Run with ``PYTHONHASHSEED=0``; about 4 minutes on one core.
"""

from __future__ import annotations

import argparse
import ast
import json
import random
import sys
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from bench.engine import after, fresh
from bot.engine import Engine
from bot.extract.common import clean
from bot.extract.folded import begin_message, end_message
from bot.flow import Flow
from bot.messages import ConversationKey, Inbound, InboundKind
from bot.understand import read_text
from flows import load_flow

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("bot", "tests", "bench", "flows", "adapters", "storage")
DATES = (datetime(2026, 3, 14, 10, 30, tzinfo=UTC), datetime(2026, 11, 30, 23, 5, tzinfo=UTC))
MAX_TEXT = 400


def corpus(root: Path = ROOT) -> list[str]:
    """The texts: literals and lines of the tree at ``root``, variants, and random pairs."""
    found: set[str] = set()
    for top in SOURCES:
        for path in sorted((root / top).rglob("*")):
            if path.suffix == ".py":
                found.update(_literals(path))
            elif path.suffix in (".yaml", ".txt"):
                lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
                found.update(s for line in lines if 0 < len(s := line.strip()) < MAX_TEXT)
    base = sorted(found)
    texts = set(base)
    for text in base:
        texts.update((text.lower(), text.upper(), text + "!", f"  {text}  ?"))
    rng = random.Random(7)
    texts.update(f"{rng.choice(base)} {rng.choice(base)}" for _ in range(6000))
    return sorted(texts)


def _literals(path: Path) -> Iterator[str]:
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (SyntaxError, UnicodeDecodeError):
        return
    for node in ast.walk(tree):
        value = node.value if isinstance(node, ast.Constant) else None
        if isinstance(value, str) and 0 < len(value) < MAX_TEXT:
            yield value


def _shown(call: Callable[[], Any]) -> str:
    """The result's repr, or the exception's type: an answer either way."""
    try:
        return repr(call())
    except Exception as exc:  # an extractor that raises is an output too
        return f"EXC {type(exc).__name__}"


def outputs(flow: Flow, texts: list[str]) -> Iterator[str]:
    """Every line of the guard for ``texts``, in a fixed order."""
    extractors = list(flow.extractors.items())
    for text in texts:
        for now in DATES:
            for prepared in (False, True):
                if prepared:
                    begin_message(clean(text))
                try:
                    for slot, extract in extractors:
                        for loose in (False, True):
                            shown = _shown(partial(extract, text, now, loose))
                            yield f"{'P' if prepared else ''}{slot}|{loose}|{shown}"
                finally:
                    if prepared:
                        end_message()
        cues = sorted(name for name, cue in flow.cues.items() if cue(text))
        yield f"cues {cues!r} {sorted(flow.cue_set.found(text))!r}"
        for asked in (None, *flow.extractors):
            yield f"rt {asked} {sorted(read_text(flow, text, DATES[0], asked).items())!r}"
    yield from _conversations(flow, texts)


def _conversations(flow: Flow, texts: list[str], count: int = 2500) -> Iterator[str]:
    engine = Engine(flow)
    rng = random.Random(11)
    buttons = list(flow.buttons)
    for number in range(count):
        key = ConversationKey("simulate", f"g{number}")
        snapshot = fresh(key)
        now = DATES[number % 2]
        for turn in range(rng.randint(1, 9)):
            kind: InboundKind = "text"
            if rng.random() < 0.35 and buttons:
                kind, text = "click", rng.choice(buttons)
            else:
                text = rng.choice(texts)
            inbound = Inbound(key, f"g{number}-{turn}", text, now, kind)
            snapshot = replace(snapshot, seq=snapshot.seq + 1)
            try:
                d = engine.decide(snapshot, inbound, now)
            except Exception as exc:
                yield f"decide EXC {type(exc).__name__}"
                break
            yield (f"d {d.state} {d.owner} {d.stage} {d.score} {d.evidence!r} {d.replies!r} "
                   f"{d.context!r}")  # fmt: skip
            snapshot = after(snapshot, d)


def main(argv: list[str] | None = None) -> int:
    """Write the guard's lines to OUT, with the corpus from --texts (made there if missing)."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.guard",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("out", type=Path, help="file to write the outputs to")
    parser.add_argument(
        "--texts", type=Path, required=True,
        help="the corpus (JSON); written from this tree if it does not exist",
    )  # fmt: skip
    parser.add_argument("--limit", type=int, help="only the first N texts (a quick look)")
    args = parser.parse_args(argv)
    if args.texts.exists():
        texts: list[str] = json.loads(args.texts.read_text(encoding="utf-8"))
    else:
        texts = corpus()
        args.texts.write_text(json.dumps(texts), encoding="utf-8")
    texts = texts[: args.limit] if args.limit else texts
    lines = 0
    with args.out.open("w", encoding="utf-8") as out:
        for line in outputs(load_flow(), texts):
            out.write(line + "\n")
            lines += 1
    print(f"{lines:,} lines from {len(texts):,} texts written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
