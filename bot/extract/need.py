"""Need extractor: the prospect's pain in their own words, tagged with the flow's categories."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import lru_cache

from rapidfuzz import fuzz, process

from bot.extract.branches import top_level_branches
from bot.extract.common import clamp01, guarded, squash
from bot.extract.folded import Folded, heads_of_text

# Re-exported: the default categories are part of this module's interface.
from bot.extract.need_categories import DEFAULT_NEED_CATEGORIES as DEFAULT_NEED_CATEGORIES
from bot.extract.regex_tree import by_first_letter, first_char_class
from bot.extract.types import Extracted, Need
from bot.extract.word_gates import Heads, word_gate

_I = re.IGNORECASE
MAX_NEED_CHARS = 500


_NONE_WORDS = (
    r"just (?:browsing|looking(?! for(?! now)| to| into| at (?:ways|how|tools|options for))|"
    r"curious|checking (?:it|things|you|this) out|checking out (?:what|options|the|your|tools)|"
    r"looking around|exploring|poking around|window[- ]shopping|"
    r"having a look|researching|killing time)|(?:only|mostly|simply) (?:browsing|curious|"
    r"looking)|nothing (?:specific|in particular|really|yet|at the moment)|no (?:specific |"
    r"particular |real |immediate )?(?:need|pain|use case)s?\b(?! (?:for|with|to))|"
    r"window[- ]shopping|"
    r"not (?:really )?(?:looking for anything|in the market)|\bcurious\b|\bbrowsing\b|"
    r"don'?t (?:really )?(?:need|have) (?:anything|a need|a problem)|out of curiosity|"
    r"for fun|saw (?:your|the) (?:ad|post)|someone (?:sent|shared)"
)
_PAIN_WORDS = (
    r"need(?:s|ed)?|struggl\w*|problems?|issues?|pain(?:s| points?)?|looking (?:for|to|into)|"
    r"want(?:s|ed)? (?:to|a|an|something|better|more)|wanna|would like|'d like|trying to|"
    r"too (?:many|much|slow|long|expensive|manual|high|low|hard|complex|complicated|costly|few|"
    r"little|often|busy)|(?:tons|so many) of|overpay\w*|expensive|costly|pricey|"
    r"spend\w* (?:\S+ ){0,2}(?:hours|days|time)|spend less|save time|less time|a must\b|"
    r"looking at (?:options|tools|solutions|ways|alternatives)|can'?t|cannot|can not|unable|"
    r"hard to|"
    r"difficult|hassle|tedious|manual(?:ly)?|wast(?:e|es|ed|ing)|losing|lose|lost|"
    r"help (?:us|me|with)|improv\w*|automat\w*|reduc\w*|increas\w*|boost|better way|"
    r"replac\w*|switch(?:ing)? (?:from|away)|frustrat\w*|overwhelm\w*|drowning|bottlenecks?|"
    r"challeng\w*|keep (?:missing|losing|dropping|forgetting)|fix|solv\w*|goal is|aim(?:ing)? to|"
    r"hoping to|hope to|interested in|evaluat\w*|missing|lack(?:ing)?|no way to|"
    r"spend(?:ing|s)? (?:too|hours|days|way|a lot)|takes? (?:too|forever|hours|ages|days)|"
    r"mess|messy|chaos|chaotic|broken|inefficien\w*|streamlin\w*|consolidat\w*|centrali[sz]\w*|"
    r"get (?:more|better)|slipping|falling through|fall through|nightmare|painful|killing us|"
    r"sucks|outdated|clunky|unreliable|searching for|in the market for|require\w*|"
    r"must have|should be able|doesn'?t (?:work|scale)|not working|no (?:visibility|way|time)|"
    # Desires and bad states said without "need": "we want everything connected", "nobody
    # converts", "tickets pile up", "reporting is a joke", "the biggest headache is ...".
    r"want(?:s|ed)?|wish|we'?d love|love to|nobody|no one|no-one|very few|too few|zero "
    r"(?:visibility|insight|idea)|pil(?:e|es|ing) up|out of control|headaches?|"
    r"(?:is|are|'s|'re) (?:huge|massive|terrible|awful|horrible|bad|poor|slow|low|a joke|a "
    r"disaster|dropping|declining|falling|shrinking|stagnant|flat|a pain)|"
    r"(?:aren'?t|isn'?t|not|never|don'?t|doesn'?t|won'?t|can'?t) (?:\w+ )?(?:perform\w*|convert\w*|"
    r"sync\w*|talk|integrat\w*|respond\w*|reply|replies|follow\w*|connect\w*|keep up|scal\w*|"
    r"get (?:a )?(?:reply|response|back))|takes? (?:all day|forever|ages|weeks|too)|"
    r"hate|annoying|swamped|buried|understaffed|short[- ]staffed|stretched thin|time[- ]consuming|"
    r"repetitive|busywork|bottleneck|dropping off|drop[- ]off|churn\w*|slow|no-shows?|"
    r"burn(?:ed|t|ing) out|blockers?|"
    r"(?:don'?t|do not) know (?:which|what|where|how|who|if|whether)|"
    r"spend\w* (?:\S+ ){0,3}day"
)
# Written with "\b" taken out of neighbouring alternatives ("\b(?:A|B)" for "\bA|\bB"), so
# ``re`` tests it once per place, not once per alternative.
_NOT_PAIN_PHRASES = (
    r"\b(?:(?:need|want|looking|hoping|plan(?:ning)?|like|aim(?:ing)?|trying)(?:s|ed)? (?:it|this|"
    r"something|a solution|one|to (?:start|buy|purchase|sign|decide|get started|go live|"
    r"launch|implement|roll (?:it |this )?out|have (?:it|something|this) (?:in place|live|"
    r"running|ready)|be live|be up and running|move|get (?:going|it done)|kick off|begin|"
    r"make a decision|spend|invest|keep))\b[^.!?]{0,30}?\b(?:by|before|in|within|next|this|asap|"
    r"soon|q[1-4]|until|end of|early|mid|late|after|under|around|about|below|less|max|\d)\b|"
    r"need(?:s|ed)? (?:to )?(?:get )?(?:approval|sign[- ]?off|buy[- ]in|a green light|"
    r"to (?:check|ask|talk|run|discuss|confirm|consult|loop|clear|see|think|review|speak|approve|"
    r"sign|decide|okay|ok|greenlight))\b)|(?:don'?t|do not) (?:really )?need anything|"
    r"\b(?:can'?t|cannot|don'?t want to|need to|have to|want to|would like to|trying to) "
    r"(?:spend|pay|go (?:above|over|beyond|past)|exceed|stay)\b|(?:stay|keep it) (?:under|within|"
    r"below)|\b(?:(?:no|any) issues? with (?:budget|timing)|budget\b|"
    r"(?:no|not an?|without) (?:real |specific |particular |big )?(?:problems?|issues?|pain|"
    r"need)\b|no need\b|not (?:really )?looking (?:for|to)\b|looking for now\b)"
)


NONE_CUE = re.compile(rf"\b(?:{_NONE_WORDS})", _I)
PAIN_CUE = re.compile(rf"\b(?:{_PAIN_WORDS})\b", _I)
# Phrases that carry a pain word but answer another slot ("we need it by March",
# "I need approval", "can't spend more than 5k"); they are cut out before looking for pain.
NOT_PAIN = re.compile(rf"(?={first_char_class(_NOT_PAIN_PHRASES)})(?:{_NOT_PAIN_PHRASES})", _I)
_PAIN_CUE, _NOT_PAIN, _NONE_CUE = map(Folded, (PAIN_CUE, NOT_PAIN, NONE_CUE))
# ``PAIN_CUE``'s fast scan on lowered ASCII text, rewritten to find the same matches several
# times faster (see ``regex_tree``): the look-ahead skips places where no cue starts, and each
# place tries one group per first letter instead of 130 alternatives. ``_PAIN_CUE`` keeps the
# word gate, which is read from the plain pattern (the grouped one gives a looser gate).
_PAIN_SCAN = re.compile(
    rf"(?={first_char_class(_PAIN_WORDS)})\b(?:{by_first_letter(_PAIN_WORDS)})\b"
)


def _alternatives_gate(source: str) -> frozenset[bytes]:
    r"""The word gate of ``\b(?:source)\b`` made of its alternatives' own gates.

    Sound as any word gate (a match is one alternative's match), and tighter than the gate
    ``word_gate`` reads from the whole pattern (``_PAIN_CUE.gate``), which lets through words
    such as "head", "not" and "too": their scans of messages without a cue ("I'm the head of
    marketing", "I'd rather not say") cost 16-30 thousand instructions.
    """
    tokens: set[bytes] = set()
    for alternative in top_level_branches(source):
        gate = word_gate(re.compile(rf"\b(?:{alternative})\b"))
        if gate is None:
            raise ValueError(alternative)  # every pain alternative has one (a test pins it)
        tokens |= gate
    return frozenset(tokens)


_PAIN_GATE = _alternatives_gate(_PAIN_WORDS)


def _has_pain(sentence: str) -> bool:
    """Whether ``sentence`` has a pain cue once the ``NOT_PAIN`` phrases are blanked out.

    Run on every sentence of a message that may have one, so ASCII sentences take
    ``Folded``'s fast path: blanking the same spans of the lowered sentence leaves the lowered
    blanked sentence.
    """
    if not sentence.isascii():
        return _PAIN_CUE.found(sentence) and _PAIN_CUE.found(NOT_PAIN.sub(" ", sentence))
    lowered = sentence.lower()
    # ``_PAIN_CUE.in_lowered``: it has no literals.
    return _PAIN_SCAN.search(lowered) is not None and _pain_unblanked(lowered)


def _pain_unblanked(lowered: str) -> bool:
    """Whether a lowered ASCII sentence with a pain cue keeps one with ``NOT_PAIN`` blanked."""
    if _NOT_PAIN.needs is not None and not _NOT_PAIN.needs.present(lowered):
        return True  # nothing to blank: the same sentence, the same answer
    blanked, count = blank_not_pain(lowered)
    return count == 0 or _PAIN_SCAN.search(blanked) is not None


# Every match of ``_NOT_PAIN_PHRASES`` starts with one of these (a test reads them off the
# parsed pattern).
NOT_PAIN_STARTS = (
    "need", "want", "looking", "hoping", "plan", "like", "aim", "trying", "don", "do n", "can",
    "have", "would", "stay", "keep", "no", "any", "budget", "without",
)  # fmt: skip


def _starts_scan(starts: Sequence[str]) -> re.Pattern[str]:
    """Matches of one character, where one of ``starts`` begins: "n(?=eed|o)|w(?=ant)|...".

    One character, so no place hides inside another's match; each alternative opens with a
    letter, so ``re`` skips to those letters in C.
    """
    rests: dict[str, list[str]] = {}
    for start in starts:
        rests.setdefault(start[0], []).append(re.escape(start[1:]))
    return re.compile("|".join(f"{head}(?={'|'.join(r)})" for head, r in rests.items()))


_NOT_PAIN_PLACES = _starts_scan(NOT_PAIN_STARTS)
_NOT_PAIN_MATCH = _NOT_PAIN.fast.match


def blank_not_pain(lowered: str) -> tuple[str, int]:
    """``_NOT_PAIN.fast.subn(" ", lowered)``, the pattern tried only where a match can start.

    ``subn`` tried it at every letter: 17-38 thousand instructions on a message with a pain
    cue. The places are tried in order and none inside the last match, as ``subn`` does (no
    match is empty), so the matches are the same: the leftmost at or after the last's end.
    """
    pieces = []
    end = 0
    for place in _NOT_PAIN_PLACES.finditer(lowered):
        at = place.start()
        if at >= end and (m := _NOT_PAIN_MATCH(lowered, at)) is not None:
            pieces.append(lowered[end:at])
            end = m.end()
    if not pieces:
        return lowered, 0
    pieces.append(lowered[end:])
    return " ".join(pieces), len(pieces) - 1


def _pains(plain: str, heads: Heads | None) -> list[str]:
    """The sentences of ``plain`` that have a pain cue (``_has_pain``), in order.

    ``heads`` are the word heads of the message ``plain`` is squashed from, or None. With
    them (an ASCII message), two tests of the whole text come first: the word gate
    (``_PAIN_GATE``), and the
    scan of the whole lowered text, which finds a match wherever a sentence of it has one (a
    sentence starts and ends at non-word characters or the text's ends, and ``_PAIN_SCAN``
    has no look-around past its match). Most messages stop there without being split.
    """
    if heads is None:
        return [s for s in _SENTENCE.findall(plain) if _has_pain(s)]
    if _PAIN_GATE.isdisjoint(heads):
        return []
    lowered = plain.lower()
    if _PAIN_SCAN.search(lowered) is None:
        return []
    body = plain.rstrip(".!?")
    if "." in body or "!" in body or "?" in body:
        return [s for s in _SENTENCE.findall(plain) if _has_pain(s)]
    # One sentence (``_SENTENCE`` would find the whole text): its scan is the one just made.
    return [plain] if _pain_unblanked(lowered) else []


_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*", _I)
_FILLER = re.compile(
    r"^(?:hi|hello|hey|yes|yeah|yep|yup|no|nope|nah|ok|okay|k|sure|thanks|thank you|thx|maybe|"
    r"idk|dunno|not sure|unsure|don'?t know|no idea|no comment|pass|skip|n/?a|none|nothing|"
    r"hmm+|um+|uh+|lol|test|testing|\?+|\.+|what\??|why\??|huh\??|good|fine|cool|great)$",
    _I,
)


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


_TAGS = re.compile(r"<[^>]{0,200}>")
_WORD = re.compile(r"[^\W\d_]{2,}")
# On ASCII text ``_WORD`` finds a match exactly where two letters follow each other: a plain class
# is skipped to in C, where the Unicode one looks up every character's category.
_ASCII_WORD = re.compile(r"[a-zA-Z]{2}")
_TOKEN = re.compile(r"[^\W_]+")
# ``_TOKEN`` on lowered ASCII text, where "[^\W_]" is just these: a plain class is faster.
_ASCII_TOKEN = re.compile(r"[a-z0-9]+")
# ``_ASCII_TOKEN.findall`` as a split: every other byte becomes a space. Each match of
# ``findall`` cost about 1.7k instructions (19k on a 58-character message), the split a
# fraction; a bytes table, translated in C, cost two thirds of a ``str`` table (a dict).
_TOKEN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")
_TO_TOKENS = bytes(c if chr(c) in _TOKEN_CHARS else 32 for c in range(256))
# ``_singular`` on every token of such a spaced text at once, in C: "ies" after at least two
# characters becomes "y", then "s" after at least three, the last not "s", goes. Each starts
# with its literal, which ``re`` skips to; the per-token calls cost 11k more per message.
_PLURAL_IES = re.compile(r"ies(?![a-z0-9])(?<=[a-z0-9][a-z0-9]ies)")
_PLURAL_S = re.compile(r"s(?![a-z0-9])(?<=[a-z0-9][a-z0-9][a-rt-z0-9]s)")


class NeedExtractor:
    """Need extractor bound to a flow's categories; compile once, call per message.

    Args:
        categories: Category name → keywords or phrases (case-insensitive). Plurals and typos of
            single words match too ("ticket" finds "tickets", "reportng" finds "reporting").
    """

    def __init__(self, categories: Mapping[str, Sequence[str]]) -> None:
        # Phrases are indexed by their first word, so matching is one dict lookup per token of
        # the message instead of a regex alternation tried at every character.
        cats_of: dict[tuple[str, ...], set[str]] = {}
        for name, words in categories.items():
            for raw in words:
                key = tuple(_singular(w) for w in _TOKEN.findall(str(raw).lower()))
                if key:
                    cats_of.setdefault(key, set()).add(name)
        self._phrases = {k: tuple(sorted(v)) for k, v in cats_of.items()}
        self._by_first: dict[str, list[tuple[str, ...]]] = {}
        for key in sorted(self._phrases, key=len, reverse=True):
            self._by_first.setdefault(key[0], []).append(key)
        self._by_letter: dict[str, list[str]] = {}
        for key in self._phrases:
            if len(key) == 1 and len(key[0]) >= 5:
                self._by_letter.setdefault(key[0][0], []).append(key[0])
        # (first letter, length) of the words ``_fuzzy`` has choices for: within two letters
        # of a keyword's length, with its first letter.
        self._fuzzy_shapes = frozenset(
            (first, size + delta)
            for first, keys in self._by_letter.items()
            for size in {len(key) for key in keys}
            for delta in range(-2, 3)
        )
        self._fuzzy = lru_cache(maxsize=4096)(self._fuzzy_uncached)
        self._run = guarded(self._extract)

    def _fuzzy_uncached(self, token: str) -> str | None:
        # Typos keep the first letter; requiring it stops "losing" from matching "closing".
        choices = [w for w in self._by_letter.get(token[0], ()) if abs(len(w) - len(token)) <= 2]
        hit = process.extractOne(token, choices, scorer=fuzz.ratio, score_cutoff=86)
        return hit[0] if hit else None

    def categories(self, text: str) -> tuple[str, ...]:
        """Categories whose keywords occur in ``text``, in order of first mention."""
        lowered = text.lower()
        if text.isascii():
            # ``_singular`` of each of ``_ASCII_TOKEN.findall(lowered)``: see ``_PLURAL_S``.
            spaced = lowered.encode("ascii").translate(_TO_TOKENS).decode("ascii")
            if "ies" in spaced:
                spaced = _PLURAL_IES.sub("y", spaced)
            words = _PLURAL_S.sub("", spaced).split()
        else:
            # Only a word ending in "s" can change (see ``_singular``): no call for the others.
            words = [_singular(w) if w[-1] == "s" else w for w in _TOKEN.findall(lowered)]
        by_first, phrases, shapes = self._by_first, self._phrases, self._fuzzy_shapes
        found: dict[str, int] = {}
        for i, word in enumerate(words):
            keys = by_first.get(word)
            if keys is None:
                # Most words start no phrase and have no keyword of their shape to be a typo of
                # (``_fuzzy`` would find no choices): skip them before the cache lookup.
                if len(word) < 5 or (word[0], len(word)) not in shapes or not word.isalpha():
                    continue
                typo = self._fuzzy(word)
                if typo is None:
                    continue
                words[i] = typo
                keys = [(typo,)]
            for key in keys:
                # A one-word key is the word itself (keys are indexed by their first word).
                if len(key) == 1 or tuple(words[i : i + len(key)]) == key:
                    for cat in phrases[key]:
                        found.setdefault(cat, i)
                    break
        return tuple(sorted(found, key=found.__getitem__))

    def __call__(self, text: str, now: datetime, asked: bool = False) -> Extracted[Need] | None:
        """Extract the need from a message; see ``extract_need`` for the rules."""
        return self._run(text, now, asked)

    def _extract(self, text: str, now: datetime, asked: bool) -> Extracted[Need] | None:
        del now
        plain = squash(_TAGS.sub(" ", text) if "<" in text else text)
        if not (_ASCII_WORD if plain.isascii() else _WORD).search(plain):
            return None
        # Without tags, ``plain`` has the message's words (only whitespace squashed) and each
        # sentence starts after a sentence end: the message's word heads hold the sentence's.
        pains = _pains(plain, heads_of_text(text) if "<" not in text else None)
        if pains:
            need = squash(" ".join(pains))[:MAX_NEED_CHARS]
            cats = self.categories(need)
            return Extracted(Need(need, cats), clamp01(0.75 + 0.1 * bool(cats)), need)
        if m := _NONE_CUE.search(plain):
            return Extracted(Need(plain[:MAX_NEED_CHARS], (), True), 0.8, m.group())
        if not asked or _is_filler(plain):
            return None
        need = plain[:MAX_NEED_CHARS]
        cats = self.categories(need)
        return Extracted(Need(need, cats), clamp01(0.5 + 0.15 * bool(cats)), need)


_FILLER_WORDS = _word_set(
    "hi hello hey yes yeah yep yup no nope nah ok okay k sure thanks thank you thx maybe idk "
    "dunno not unsure don't dont know no idea comment pass skip n/a na none nothing hmm um uh "
    "lol test testing what why huh good fine cool great sounds perfect awesome nice got it "
    "will do alright all right lgtm noted that works "
)


def _is_filler(text: str) -> bool:
    """Whether an answer is only acknowledgements and shrugs ("sounds good", "idk")."""
    return _FILLER.match(text.strip(" !.,")) is not None or all(
        w.lower() in _FILLER_WORDS for w in _WORD.findall(text)
    )


def _singular(word: str) -> str:
    if word[-1:] != "s":
        return word  # most words: both rules below need a final "s"
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


_DEFAULT = NeedExtractor(DEFAULT_NEED_CATEGORIES)


def extract_need(text: str, now: datetime, asked: bool = False) -> Extracted[Need] | None:
    """Find the prospect's need with the default categories.

    Without ``asked`` a sentence must carry a pain cue ("we need", "struggling with", "too many",
    "can't"); "just browsing" and the like give ``Need(text, (), none=True)``. With ``asked`` any
    substantive answer is the need.

    Args:
        text: The prospect's message.
        now: Reference time (unused).
        asked: True when the bot just asked what they need.

    Returns:
        The need with its confidence and span, or None.
    """
    return _DEFAULT(text, now, asked)
