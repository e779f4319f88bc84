"""Figures, targets and ceilings: the table the suite prints and the JSON it writes."""

from __future__ import annotations

import json
import os
import platform
import sqlite3
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

RESULTS = Path(__file__).with_name("results")
Op = Literal[">=", "<=", "<"]


@dataclass(frozen=True, slots=True)
class Target:
    """A bound a figure (or its ratio to the ceiling) should meet."""

    op: Op
    bound: float
    on: Literal["value", "ratio"] = "value"

    def met(self, value: float, ratio: float | None) -> bool | None:
        """Whether the bound holds; None when the ratio it is about is unknown."""
        subject = value if self.on == "value" else ratio
        if subject is None:
            return None
        if self.op == ">=":
            return subject >= self.bound
        if self.op == "<=":
            return subject <= self.bound
        return subject < self.bound

    def __str__(self) -> str:
        bound = f"{self.bound:.0%}" if self.on == "ratio" else _number(self.bound)
        return f"{'ratio ' if self.on == 'ratio' else ''}{self.op} {bound}"


@dataclass(slots=True)
class Figure:
    """One measured number, its ceiling measured in the same run, and its target.

    ``ratio`` is value / ceiling: the share of the ceiling reached for rates, how many times
    the ceiling's latency for times.
    """

    part: str
    name: str
    value: float
    unit: str
    ceiling: float | None = None
    ceiling_name: str = ""
    target: Target | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        """The value divided by the ceiling, when there is a ceiling."""
        return self.value / self.ceiling if self.ceiling else None

    @property
    def met(self) -> bool | None:
        """Whether the target holds (None without a target)."""
        return self.target.met(self.value, self.ratio) if self.target else None

    def to_json(self) -> dict[str, Any]:
        """The figure as written to the results file."""
        data = asdict(self)
        data["target"] = str(self.target) if self.target else None
        data["ratio"] = self.ratio
        data["met"] = self.met
        return data


@dataclass(slots=True)
class Run:
    """Everything one ``python -m bench`` produced."""

    quick: bool
    parts: list[str]
    machine: dict[str, Any] = field(default_factory=dict)
    figures: list[Figure] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def percentile(samples: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) of ``samples``, nearest rank; 0.0 for no samples."""
    if not samples:
        return 0.0
    ordered = sorted(samples)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def machine() -> dict[str, Any]:
    """CPU model, cores, RAM, Python and library versions, and the date of the run."""
    import aiohttp
    import sqlalchemy

    model = ""
    with open("/proc/cpuinfo", encoding="utf-8") as info:
        for line in info:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem_kib = 0
    with open("/proc/meminfo", encoding="utf-8") as info:
        for line in info:
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    return {
        "cpu": model or platform.processor(),
        "cores": os.cpu_count(),
        "ram_gib": round(mem_kib / 1024 / 1024, 1),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "sqlite": sqlite3.sqlite_version,
        "sqlalchemy": sqlalchemy.__version__,
        "aiohttp": aiohttp.__version__,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        # Other work on a shared machine skews every figure: the load is kept with them.
        "load_average_1m_at_start": round(os.getloadavg()[0], 2),
    }


def _number(value: float) -> str:
    if value == 0:
        return "0"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}" if abs(value) >= 0.1 else f"{value:.3g}"


def _ratio(figure: Figure) -> str:
    ratio = figure.ratio
    if ratio is None:
        return ""
    if figure.unit.startswith("/"):  # rates: the share of the ceiling reached
        return f"{ratio:.1%}" if ratio < 0.1 else f"{ratio:.0%}"
    return f"×{ratio:.1f}" if ratio < 100 else f"×{ratio:,.0f}"  # times: how many times slower


def _row(figure: Figure) -> list[str]:
    met = {True: "ok", False: "MISS", None: ""}[figure.met]
    ceiling = f"{_number(figure.ceiling)} {figure.ceiling_name}" if figure.ceiling else ""
    return [
        figure.part,
        figure.name,
        f"{_number(figure.value)} {figure.unit}",
        ceiling.strip(),
        _ratio(figure),
        str(figure.target) if figure.target else "",
        met,
    ]


HEADER = ["part", "figure", "value", "ceiling (same run)", "ratio", "target", ""]


def table(figures: Sequence[Figure]) -> str:
    """A plain-text table, one figure a line."""
    rows = [HEADER, *(_row(f) for f in figures)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(HEADER))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)) for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)


def markdown(run: Run) -> str:
    """The same table as Markdown, with the machine it ran on (for docs/benchmarks.md)."""
    m = run.machine
    head = (
        f"{m.get('cpu')}, {m.get('cores')} cores, {m.get('ram_gib')} GiB RAM, "
        f"Python {m.get('python')}, SQLite {m.get('sqlite')}, {m.get('date')}"
    )
    rows = [HEADER, ["---"] * len(HEADER), *(_row(f) for f in run.figures)]
    body = "\n".join("| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in rows)
    return f"{head}\n\n{body}\n"


def write(run: Run, path: Path) -> None:
    """Write the run as JSON (figures with targets and ratios, details, machine, timings)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "quick": run.quick,
        "parts": run.parts,
        "machine": run.machine,
        "seconds": run.seconds,
        "figures": [f.to_json() for f in run.figures],
        "details": run.details,
    }
    path.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
