"""Authority extractor: the prospect's say in the purchase, and their title as written."""

from __future__ import annotations

import re
from datetime import datetime

from bot.extract.branches import Branches
from bot.extract.common import guarded, squash
from bot.extract.folded import Folded, Message, current_message
from bot.extract.roles import (
    ANY_TITLE,
    ASKED_DM,
    ASKED_INFLUENCER,
    DEPT,
    END_USER,
    OTHER_DECIDES,
    OWN_TITLE,
    PLURAL_TITLE,
    ROLE_ENDS,
    ROLE_SINGLES,
    RUNS_DEPT,
    RUNS_TEAM,
    SELF_DECIDES,
    START_TITLE,
    TITLE_FIRST_WORDS,
)
from bot.extract.types import Authority, AuthorityLevel, Extracted

_I = re.IGNORECASE

# The title and decider patterns are searched in most messages that pass the word-set gates;
# ``Folded`` skips the exact search on ASCII text when the fast one finds nothing.
_OWN_TITLE, _PLURAL_TITLE, _START_TITLE, _ANY_TITLE = map(
    Folded, (OWN_TITLE, PLURAL_TITLE, START_TITLE, ANY_TITLE)
)
_END_USER = Folded(END_USER)
# Searched in every message that passes ``_HINTS``; both start "\bi", which ``re`` tried at every
# character (3-8 µs a message): the word gates and the fast scan skip most of them.
_RUNS_TEAM, _RUNS_DEPT = Folded(RUNS_TEAM), Folded(RUNS_DEPT)
# Thirty alternatives whose joint word gate opens on "up", "say" or "need": each is searched
# alone behind its own gates (bot/extract/branches.py); a third of the time on the bench script.
_OTHER_DECIDES = Branches(OTHER_DECIDES)
# Twenty alternatives whose joint word gate opens on common words ("up", "me", "say"), and
# then its fast scan cost 16-60 µs: each is searched alone behind its own gates.
_SELF_DECIDES = Branches(SELF_DECIDES)

_NEGATED = re.compile(r"(?:\bnot|n'?t|\bnever|\bno)\s+(?:\w+\s+){0,2}$", _I)
# ``_NEGATED`` for the lowered message: the same matches on lowered ASCII text (see ``Folded``),
# without case-folding at every place of the window (a third of the cost of a "decides" cue).
_NEGATED_LOWERED = Folded(_NEGATED).fast

_DM = re.compile(
    r"\b(?:c[etfoimrp]o|ciso|cdo|chief|founder|cofounder|co-?founder|owner|proprietor|president|"
    r"vp|svp|evp|vice[- ]president|head|director|managing partner|partner|principal|chair\w*|"
    r"gm|md|general manager|managing director|board member|treasurer|boss)\b",
    _I,
)
_END = re.compile(
    r"\b(?:intern|student|trainee|apprentice|engineer|developer|dev|analyst|specialist|designer|"
    r"associate|assistant|agent|representative|rep|sdr|bdr|coordinator|clerk|receptionist|"
    r"technician|operator|secretary|writer|editor|researcher|scientist|freelancer|contractor|"
    r"account executive|csm|marketer|recruiter|accountant)\b",
    _I,
)
_ACRONYMS = {
    "ceo", "cto", "cfo", "coo", "cmo", "cio", "cro", "cpo", "ciso", "cdo", "vp", "svp", "evp",
    "it", "hr", "ui", "ux", "qa", "seo", "gm", "md", "pr", "r&d", "cx", "bd", "sdr", "bdr",
    "csm", "ai", "ml", "devops", "revops",
}  # fmt: skip
_MIXED_CASE = {"devops": "DevOps", "revops": "RevOps"}
_SMALL = {"of", "and", "for", "the", "&", "in", "at"}
_NEEDS_OF = re.compile(rf"^(vp|svp|evp|head|director)\s+(?!of\b)({DEPT})$", _I)
# A squashed title has single spaces: on ASCII, ``_NEEDS_OF`` needs one of these first.
_NEEDS_OF_HEADS = ("vp ", "svp ", "evp ", "head ", "director ")


def normalize_title(raw: str) -> str:
    """Title-case a title, keep acronyms upper, and write "VP sales" as "VP of Sales"."""
    title = squash(raw).strip(" ,.-")
    # ``_NEEDS_OF`` matches only a title starting with one of ``_NEEDS_OF_HEADS``: an ASCII title
    # without one skips the big case-insensitive pattern (about a third of this function).
    if (not title.isascii() or title.lower().startswith(_NEEDS_OF_HEADS)) and (
        m := _NEEDS_OF.match(title)
    ):
        title = f"{m.group(1)} of {m.group(2)}"
    words = []
    for i, w in enumerate(title.replace("/", " / ").split(" ")):
        low = w.lower()
        if low in _ACRONYMS:
            words.append(_MIXED_CASE.get(low, w.upper()))
        elif low in _SMALL and i > 0:
            words.append(low)
        elif "-" in w:
            words.append("-".join(p[:1].upper() + p[1:].lower() for p in w.split("-")))
        else:
            words.append(w[:1].upper() + w[1:].lower())  # most words: no generator
    return " ".join(words).replace(" / ", "/")


_NOT_DM_OWNER = re.compile(r"\b(?:product|process|account|project|business process) owner\b", _I)
_INFLUENCER_ROLE = re.compile(
    r"\b(?:manager|mgr|lead|leader|supervisor|consultant|advisor|adviser|architect|buyer|"
    r"officer|executive|strategist|administrator|admin|owner)\b",
    _I,
)


# "Principal engineer" and "staff designer" are senior individual contributors, not principals.
_SENIOR_IC = re.compile(
    r"\b(?:principal|staff)\s+(?=(?:\w+\s+)?(?:engineer|developer|designer|analyst|scientist|"
    r"architect|consultant|researcher|writer|product manager)\b)",
    _I,
)


def level_of_title(title: str) -> AuthorityLevel:
    """Level implied by a title alone.

    Decision maker for C-level, founders, owners, VPs, heads and directors; end user for
    individual-contributor roles; influencer for managers, leads and everything else.
    """
    low = title.lower()
    # On lowered ASCII text a lowercase pattern matches the same without case-folding, and each
    # of the first four needs a word that a substring test finds: most titles skip their calls
    # (about 1.5k instructions each). Non-ASCII text can fold to them ("ſ"): no skipping there.
    plain = low.isascii()
    senior, student, not_dm, assistant, dm, end = _LEVEL_ASCII if plain else _LEVEL
    if not plain or "principal" in low or "staff" in low:
        low = senior.sub("", low)
    if (
        not plain or "intern" in low or "student" in low or "trainee" in low or "apprentice" in low
    ) and student.search(low):
        return "end_user"
    if ((not plain or "owner" in low) and not_dm.search(low)) or (
        (not plain or "assistant" in low or "associate" in low) and assistant.search(low)
    ):
        return "influencer"
    if dm.search(low):
        return "decision_maker"
    if end.search(low):
        return "end_user"
    return "influencer"


_LEVEL = (
    _SENIOR_IC,
    re.compile(r"\b(?:intern|student|trainee|apprentice)\b", _I),
    _NOT_DM_OWNER,
    re.compile(r"\b(?:assistant|associate) (?:to|of)\b", _I),
    _DM,
    _END,
)
_LEVEL_ASCII = tuple(re.compile(p.pattern) for p in _LEVEL)


def _word_set(text: str) -> frozenset[bytes]:
    # Bytes: the words of the message under way are cut as bytes (``_hint_words``).
    return frozenset(word.encode("ascii") for word in text.split())


# Words at least one of which every role statement contains; a message with none of them skips
# the big patterns (most answers to other questions).
_HINTS = _word_set(
    "ceo cto cfo coo cmo cio cro cpo ciso cdo chief founder cofounder co-founder owner "
    "proprietor president vice vp svp evp head director manager mgr lead leader supervisor "
    "partner principal chair chairman chairwoman chairperson consultant advisor adviser "
    "architect engineer developer dev analyst specialist designer coordinator administrator "
    "admin associate assistant intern internship student representative rep agent executive "
    "officer strategist marketer recruiter accountant controller buyer gm md sdr bdr csm "
    "secretary receptionist clerk technician operator researcher scientist editor writer "
    "producer trainee apprentice board treasurer boss decide decides decided decider decision "
    "decisions decision-maker call calls say sign signs signing signatory approve approves "
    "approval approver authority authorise authorize budget charge committee report reporting "
    "answer need needs user end-user use using day-to-day daily hands-on individual "
    "contributor employee staff member worker trenches recommend recommendation influence "
    "influencer evaluate evaluating research researching shortlist shortlisting gather "
    "gathering collect collecting run own oversee manage joint shared together jointly else "
    "greenlight shots purse up management leadership execs executives higher-ups superior "
    "procurement finance legal pass input evaluation buying selection freelancer contractor "
    "owner-operator sole my role title position job work serve working hired mine assistant's "
    "exploring comparing looking scout cofounders co-founders founders owners co-owners "
    "partners directors buck mine heading leading running overseeing handle handling look "
    "responsible involved asked ultimately deciding making recommending approval sign-off "
    "buy-in go-ahead dad father mom mum mother wife husband client family co-owner co-owners team "
)
# Every match of SELF_DECIDES / OTHER_DECIDES contains one of these words; checking the word set
# first skips the two costliest patterns for most messages.
_SELF_WORDS = _word_set(
    "decision decisions decision-maker decision-makers decisionmaker maker decider budget "
    "signatory approver buyer call calls say purse sign-off signoff authority shots decide "
    "decides approve approves authorise authorize authorises authorizes greenlight sign signs "
    "up control power charge buy purchase mine me buck responsible"
)
_OTHER_WORDS = _word_set(
    "decide decides decided make makes made call calls decision decisions decision-maker "
    "decisionmaker maker sign signs signing sign-off signoff approve approves approval say "
    "shots budget final finally report reports reporting answer up evaluation search "
    "selection research review buy-in buy green go-ahead ok okay blessing ultimately end "
    "asked involved run check ask talk convince pitch loop consult present bring committee "
    "shortlist shortlisting shortlisted recommend recommendation influence influencer "
    "evaluate scout gather gathering collect collecting someone pass input researching "
    "evaluating comparing exploring looking assistant right deputy ea pa chief approvals "
    "decide leading lead"
)
_HINT_WORD = re.compile(r"[a-z][a-z'’-]*")
# The longest run of letters of each hint ("founder" of "co-founder"), as word heads: in a
# message without digits or "_", such a run of a hint word is a whole word of the message, so
# heads that hold none of these prove ``_HINTS`` disjoint without the ``_HINT_WORD`` scan.
_HINT_PIECES = frozenset(max(re.findall(b"[a-z]+", hint), key=len) for hint in _HINTS)
# ``_HINT_WORD``'s words of lowered ASCII text cut in C: every byte but a letter, "'" or "-"
# becomes a space, and a word is a run of the rest from its first letter on. The scan cost
# 12-19k instructions on a bench message, the cut about a tenth of that.
_HINT_BYTES = b"abcdefghijklmnopqrstuvwxyz'-"
_TO_HINT_WORDS = bytes(c if c in _HINT_BYTES else 32 for c in range(256))

# Word heads one of which the message under way holds when it has a title (``_OWN_TITLE``,
# ``_START_TITLE``, ``_ANY_TITLE``): a role's last word whole, or a one-word role glued to what
# an intro ends with ("i'mceo", "imceo", "i amceo", "asceo", "my role isceo", "i've beenceo",
# "i'm currentlyceo"), where ``_OWN_TITLE``'s "\s*" is empty. Most messages that pass ``_HINTS``
# hold none: the title scan without a gate or literals cost 13-20k instructions there.
_TITLE_WORDS = frozenset(word.encode("ascii") for word in ROLE_ENDS) | frozenset(
    (glue + word).encode("ascii")
    for glue in ("m", "im", "am", "as", "is", "been", "currently")
    for word in ROLE_SINGLES
)

_LETTERS = b"abcdefghijklmnopqrstuvwxyz"
_TO_LETTER_RUNS = bytes(c if c in _LETTERS else 32 for c in range(256))


def _may_have_title(message: Message, words: list[bytes]) -> bool:
    """False when the message under way holds none of ``_TITLE_WORDS``, so has no title.

    Each of them a title holds is a whole run of letters of the message (it ends a word, and it
    starts one or follows an intro that does). ``words`` (``_hint_words``) are those runs but
    where "'" or "-" joins some: a message with neither character needs no other test. Word
    heads would open on "lead" of "leads" and "rep" of "report"; a title scan costs 15-25k.
    """
    if not _TITLE_WORDS.isdisjoint(words):
        return True
    lowered = message.lowered
    if "'" not in lowered and "-" not in lowered:
        return False
    runs = lowered.encode("ascii").translate(_TO_LETTER_RUNS).split()
    return not _TITLE_WORDS.isdisjoint(runs)


# What ``ANY_TITLE``'s look-behinds refuse just before a title, and the word characters of
# lowered ASCII text (``\b``).
_NOT_BEFORE_TITLE = ("my ", "our ", "not a ", "not an ", "not the ")
_WORD_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789_"


# Word heads of what ``OWN_TITLE``'s intro may start with, besides "," "." "-" and the word "i":
# "im" ("imceo"), "ive" ("ive been"), "as", "my" ("my role is"); "working as" holds "as".
_INTRO_HEADS = frozenset((b"im", b"ive", b"as", b"my"))


def _may_introduce(message: Message) -> bool:
    """False when the message under way has no intro ``OWN_TITLE`` could start with.

    Every intro is a ",", a ".", a dash after a space, an "i" starting a word and followed by
    "'m", " am", "m", "'ve been", "ve been", " work as" (...), or a word starting "as", "my" or
    "working as". Its scan cost about 20k instructions on "We want to integrate lead scoring".
    """
    lowered = message.lowered
    return (
        b"i" in message.words
        or "," in lowered
        or "." in lowered
        or "-" in lowered
        or not message.heads.isdisjoint(_INTRO_HEADS)
    )


def _start_title(text: str, message: Message | None) -> re.Match[str] | None:
    """``_search(_START_TITLE, ...)``, skipped when the first word cannot start a title.

    ``START_TITLE`` starts its title at the first character that is not a space: where it
    matches, the message's first word is one of ``TITLE_FIRST_WORDS``. Its scan cost 6-9k
    instructions on titled messages that start otherwise ("I recommend ...", "Hello! ...").
    """
    if message is not None and not (message.words and message.words[0] in TITLE_FIRST_WORDS):
        return None
    return _search(_START_TITLE, text, message)


def _any_title(text: str, message: Message | None) -> re.Match[str] | None:
    """``_search(_ANY_TITLE, ...)``, scanning from the first place a title can start.

    A match starts at a whole word of ``TITLE_FIRST_WORDS`` not refused by the pattern's
    look-behinds ("my boss"): the scan starts at the first such word, and none means no match.
    The whole scan cost 40-55k instructions when authority is the asked slot.
    """
    if message is None:
        return _ANY_TITLE.search(text)
    first = _first_title_start(message)
    return None if first < 0 else _ANY_TITLE.fast.search(message.lowered, first)


def _first_title_start(message: Message) -> int:
    """Where the first title ``ANY_TITLE`` may find starts, or -1: see ``_any_title``.

    Each of the message's words in ``TITLE_FIRST_WORDS`` is found with ``str.find``: a scan
    for all of them with one pattern cost 13-29k instructions, about the search it spares.
    """
    lowered = message.lowered
    size = len(lowered)
    first = -1
    for word in TITLE_FIRST_WORDS.intersection(message.words):
        title_word = word.decode("ascii")
        at = lowered.find(title_word)
        while at >= 0 and (first < 0 or at < first):
            end = at + len(title_word)
            if (
                (at == 0 or lowered[at - 1] not in _WORD_CHARS)
                and (end == size or lowered[end] not in _WORD_CHARS)
                and not lowered.endswith(_NOT_BEFORE_TITLE, 0, at)
            ):
                first = at
                break
            at = lowered.find(title_word, at + 1)
    return first


def _hint_words(lowered: str) -> list[bytes]:
    """``_HINT_WORD.findall(lowered)`` as bytes, for lowered ASCII text."""
    spaced = lowered.encode("ascii").translate(_TO_HINT_WORDS)
    words = spaced.split()
    # ``find``, not ``in``: ``bytes.__contains__`` first tries its argument as an int, and the
    # error it makes and clears cost about 2k instructions a test.
    if spaced.find(b" '") >= 0 or spaced.find(b" -") >= 0 or spaced.startswith((b"'", b"-")):
        # A run such as "'s" or "--ceo": its word starts at its first letter, if any.
        words = [word for word in (w.lstrip(b"'-") for w in words) if word]
    return words


def _search(pattern: Folded, text: str, message: Message | None) -> re.Match[str] | None:
    """``pattern.search(text)`` for its spans, where ``message`` is the message ``text`` is.

    On the message under way the match comes from the fast pattern on its lowered text: the
    same spans (see ``Folded``) without the second, case-folding search, though its text is
    lowered. Callers read spans, and cut any text they keep from ``text``.
    """
    if message is None:
        return pattern.search(text)
    lowered = message.lowered
    start = pattern._start(lowered, message.heads)
    return None if start < 0 else pattern.fast.search(lowered, start)


def _runs(text: str, message: Message | None) -> tuple[AuthorityLevel, tuple[int, int]] | None:
    """Level from "I run the sales team" / "I head up customer success", with its span."""
    if message is not None and "i " not in message.lowered and "i'm " not in message.lowered:
        # Both patterns need "i " or "i'm " ("i am " holds the first): two substring tests
        # skip their two literal scans (3-5k instructions each) in most messages.
        return None
    m = _search(_RUNS_TEAM, text, message) or _search(_RUNS_DEPT, text, message)
    if m is None:
        return None
    verb = m.group().split()[1].lower()
    if verb in ("am", "'m"):
        verb = m.group().split()[2].lower()
    lead = verb.startswith(("lead", "manag", "handl"))
    return ("influencer" if lead else "decision_maker"), m.span()


def _positive(pattern: Branches, text: str, message: Message | None) -> re.Match[str] | None:
    """First match of ``pattern`` not negated just before ("I don't decide")."""
    for m in pattern.finditer(text):
        lo = max(0, m.start() - 25)
        # Every negation has an "n" ("not", "n't", "never", "no"): most windows have none.
        if "n" not in text[lo : m.start()].lower():
            return m
        if message is not None:
            negated = _NEGATED_LOWERED.search(message.lowered, lo, m.start())
        else:
            negated = _NEGATED.search(text, lo, m.start())
        if negated is None:
            return m
    return None


_TRAINEE = re.compile(r"intern|student|trainee", _I)


def _answer(
    text: str,
    level: AuthorityLevel,
    conf: float,
    span: tuple[int, int],
    title: str | None,
    title_span: tuple[int, int] | None,
) -> Extracted[Authority]:
    """The authority found, its evidence stretched over the title when there is one."""
    lo, hi = span
    if title_span:
        lo, hi = min(lo, title_span[0]), max(hi, title_span[1])
    return Extracted(Authority(level, title), conf, squash(text[lo:hi]))


@guarded
def extract_authority(text: str, now: datetime, asked: bool = False) -> Extracted[Authority] | None:
    """Find the prospect's role in the purchase.

    Precedence: saying they decide/sign beats everything; interns and students are end users;
    someone else deciding (boss, committee, approval) makes an influencer; then the title decides
    (see ``level_of_title``); running a team or department makes a decision maker; then usage
    cues ("I'll be using it daily") make an end user.

    Args:
        text: The prospect's message.
        now: Reference time (unused).
        asked: True when the bot just asked about their role, so a bare "CTO" counts.

    Returns:
        The authority with its confidence and span, or None.
    """
    del now
    if asked and (m := ASKED_DM.match(text) or ASKED_INFLUENCER.match(text)):
        # A whole answer to "what's your role in choosing?": "me", "recommending", "my boss".
        level: AuthorityLevel = "decision_maker" if m.re is ASKED_DM else "influencer"
        return Extracted(Authority(level), 0.7, squash(m.group()))
    message = current_message(text)
    if message is None:
        words = [word.encode() for word in _HINT_WORD.findall(text.lower())]
    elif b"#" not in message.heads and "_" not in text and message.heads.isdisjoint(_HINT_PIECES):
        return None  # no hint (see ``_HINT_PIECES``)
    else:
        words = _hint_words(message.lowered)  # a list: ``isdisjoint`` needs no set of it
    if _HINTS.isdisjoint(words):
        return None
    titled = message is None or _may_have_title(message, words)
    introducible = titled and (message is None or _may_introduce(message))
    tm = _search(_OWN_TITLE, text, message) if introducible else None
    tm = tm or _search(_PLURAL_TITLE, text, message)  # "one of the founders": not gated
    if tm is None and titled and (start := _start_title(text, message)):
        # A message that is only a title ("marketing manager") counts only when asked.
        tm = start if asked or text[start.end() :].strip(" .!") else None
    introduced = tm is not None
    if tm is None and asked and titled:
        tm = _any_title(text, message)
    title_span = tm.span("title") if tm else None
    title = normalize_title(text[title_span[0] : title_span[1]]) if title_span else None
    title_level = level_of_title(title) if title else None

    if not _SELF_WORDS.isdisjoint(words) and (m := _positive(_SELF_DECIDES, text, message)):
        return _answer(text, "decision_maker", 0.9, m.span(), title, title_span)
    if title_level == "end_user" and title and _TRAINEE.search(title):
        return _answer(text, "end_user", 0.85, title_span or (0, 0), title, title_span)
    if not _OTHER_WORDS.isdisjoint(words) and (m := _OTHER_DECIDES.search(text)):
        level = "end_user" if _search(_END_USER, text, message) and not title else "influencer"
        return _answer(text, level, 0.8, m.span(), title, title_span)
    runs = _runs(text, message)
    # "Designer, and I own the studio": owning or heading the business outranks an IC title.
    owner = runs is not None and runs[0] == "decision_maker" and title_level == "end_user"
    if title_level and title_span and not owner:
        return _answer(
            text, title_level, 0.85 if introduced else 0.75, title_span, title, title_span
        )
    if runs:
        return _answer(text, runs[0], 0.75, runs[1], title, title_span)
    if m := _search(_END_USER, text, message):
        return _answer(text, "end_user", 0.7, m.span(), title, title_span)
    return None
