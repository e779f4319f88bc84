"""The stdlib's parse trees of regexes, shared by the analyses that read patterns at import.

``prefilter`` (required literals), ``word_gates`` (word heads a match starts with) and
``sure_matches`` (alternatives whose presence proves a match) all walk the tree ``re`` itself
builds. This module loads the private parser once and names the errors that mean "a construct
the walk does not know": each analysis then answers "no prefilter", which is always correct.
"""

from __future__ import annotations

import functools
import importlib
import re
from typing import Any

# The stdlib's own regex parser (``re._parser``; the public ``sre_parse`` alias warns). Loaded
# by name: typeshed has no stub for the private module.
_parser: Any = importlib.import_module("re._parser")
# Opcodes of the parsed tree (``LITERAL``, ``BRANCH``, ``AT_BOUNDARY``, ...).
codes: Any = importlib.import_module("re._constants")

# What parsing or walking a pattern may raise on a construct the walks do not know (flows bring
# their own intent patterns).
PARSE_ERRORS = (RecursionError, TypeError, ValueError, IndexError)


def parse(pattern: re.Pattern[str]) -> Any:
    """The parsed tree of ``pattern`` (a sequence of ``(opcode, argument)`` pairs).

    Each of the three analyses asks for the same patterns: parsed once, the trees are shared
    (the walks only read them). Saves about a third of the analyses' start-up time.
    """
    return _parsed(pattern.pattern, pattern.flags)


@functools.lru_cache(maxsize=1024)
def _parsed(source: str, flags: int) -> Any:
    return _parser.parse(source, flags)
