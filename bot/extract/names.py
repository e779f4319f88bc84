"""Patterns and word lists for telling person and company names from ordinary words."""

from __future__ import annotations

import re

from bot.extract.folded import Folded


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words that follow "I'm" / "from" / "at" but are not names: "I'm looking", "from Monday".
COMMON_WORDS = _words(
    "a an the and or but so if then than to of in on at by for from with without about as "
    "into i me my mine we us our you your he she they them it its this that these those here "
    "there is am are was were be been being do does did have has had will would can could "
    "should may might must not no yes yeah yep ok okay sure hi hello hey thanks thank please "
    "sorry well oh just only also still really very quite pretty too so actually basically "
    "currently already now today tomorrow yesterday soon later looking interested trying "
    "working using going getting doing writing reaching contacting calling asking wondering "
    "hoping planning curious new happy glad excited based located responsible part one some "
    "any all both each every not sure fine good great busy back available free open ready "
    "able in-house interested the ceo cto cfo coo cmo cio vp head director manager founder "
    "owner lead engineer developer intern student president partner consultant analyst admin "
    "team company business startup agency firm group sales marketing support it hr ops "
    "product engineering finance operations monday tuesday wednesday thursday friday saturday "
    "sunday weekend week month year quarter january february march april may june july august "
    "september october november december jan feb mar apr jun jul aug sep sept oct nov dec q1 "
    "q2 q3 q4 asap home work office remote night morning afternoon evening moment least most "
    "first last next scale large small medium big enterprise smb mid-size midsize local "
    "global usa us uk eu google search linkedin twitter facebook instagram youtube reddit "
    "slack telegram website web site email chat call phone demo trial pricing price budget "
    "need needs problem help anonymous nobody someone somebody everyone no-one none nothing "
    "n/a na idk dunno pass skip rather prefer won't wont dont don't can't cant i'd i'll i'm "
    "im name called call "
)

# "I'm from Berlin" is a place, not an employer: the commonest places people say they are from.
PLACES = _words(
    "london paris berlin madrid rome amsterdam dublin lisbon vienna munich hamburg zurich "
    "stockholm oslo copenhagen helsinki warsaw prague brussels barcelona milan toronto "
    "vancouver montreal sydney melbourne auckland singapore tokyo seoul mumbai delhi "
    "bangalore dubai nyc york boston chicago austin seattle denver atlanta miami dallas "
    "houston california texas florida canada mexico brazil germany france spain italy india "
    "china japan australia ireland england scotland wales netherlands sweden norway denmark "
    "finland poland europe asia africa america uk usa us eu emea apac latam the "
)
_NAME_TOKEN = r"[^\W\d_](?:[^\W\d_]|['’.-](?=[^\W\d_]))*"
_NAME_CUES = (
    r"my name is|my name's|name is|name's|name:|i am|i'm|im|this is|it's|its|call me|here is|"
    r"here's"
)
NAME_CUE = re.compile(
    rf"(?P<cue>(?i:{_NAME_CUES}))\s+(?:(?i:mr|mrs|ms|miss|dr|prof)\.?\s+)?"
    rf"(?P<name>{_NAME_TOKEN}(?:\s+{_NAME_TOKEN}){{0,2}})",
)
# ``NAME_CUE`` for lowered ASCII text: without "(?i:" its cues are plain literals, which ``re``
# skips past in C (the case-insensitive ones it tries at every place). On ASCII text lowered it
# matches where ``NAME_CUE`` matches in the text (its other parts are case-blind classes).
NAME_CUE_LOWERED = re.compile(NAME_CUE.pattern.replace("(?i:", "(?:"))
# Every ``NAME_CUE`` match starts with a cue and a space: a cheap test before the costly scan.
NAME_CUE_GATE = Folded(re.compile(rf"(?:{_NAME_CUES})\s", re.IGNORECASE))
_CAP_TOKEN = r"[^\W\d_a-z](?:[^\W\d_]|['’-](?=[^\W\d_]))*"
# "Mike here", "Hi, Priya here from Acme": a capitalized name introduced by a trailing "here".
NAME_HERE = re.compile(
    rf"(?:^|[,.!]\s*|\b(?i:hi|hey|hello)\s+)(?P<name>{_CAP_TOKEN}(?:\s+{_CAP_TOKEN})?)\s+here\b"
)
# "Sarah Connor, sarah@cyberdyne.io": a capitalized name opening a list of contact details.
LEADING_NAME = re.compile(
    rf"^\s*(?:(?i:hi|hey|hello)[\s,!]+)?(?P<name>{_CAP_TOKEN}(?:\s+{_CAP_TOKEN}){{0,2}})\s*[,;|/–-]"
)
_ORG_TOKEN = r"[A-Z][\w&'’.+-]*"
ORG_SUFFIX = re.compile(
    r"\b(?:Inc|LLC|L\.L\.C|Ltd|Limited|GmbH|Corp|Corporation|Co|SA|AG|BV|PLC|Pty|SAS|SRL|AB|"
    r"Oy|LLP|LP|Group|Labs|Technologies|Software|Solutions|Systems|Studio|Agency)\b\.?$"
)
_ORG_CUES = (
    r"\bfrom|\bat|@|\bi work (?:for|at|with)|\bworking (?:for|at)|\bi'?m with|\bi am with|"
    r"\bwe'?re with|\brepresent(?:ing)?|\bcompany(?: name)? is|\bcompany:|\bcompany called|"
    r"\bour company,?|\bfounder of|\bceo of|\bowner of|\bhere at|\bon behalf of|"
    r"\bemployed (?:by|at)"
)
ORG_CUE = re.compile(
    rf"(?P<cue>(?i:{_ORG_CUES}))\s+(?:the\s+)?"
    rf"(?P<org>{_ORG_TOKEN}(?:\s+(?:{_ORG_TOKEN}|&)){{0,3}}(?:,?\s+(?:Inc|LLC|Ltd|GmbH|Corp|Co)"
    rf"\b\.?)?)"
)
# Every ``ORG_CUE`` match has a cue, a space, and a capital after a space (the organization):
# two cheap tests before the costly scan.
ORG_CUE_GATE = Folded(re.compile(rf"(?:{_ORG_CUES})\s", re.IGNORECASE))
# The cues but "@", whose word gate ``ORG_CUE_GATE`` lacks for the "@": in a message without
# "@" a cue match starts one of these words ("from", "at", "work", "comp", ...). Its literal
# test passes many messages ("at " in "that "), whose scan then finds nothing.
_WORD_CUES = "|".join(cue for cue in _ORG_CUES.split("|") if cue != "@")
_word_cue_gate = Folded(re.compile(rf"(?:{_WORD_CUES})\s", re.IGNORECASE)).gate
if _word_cue_gate is None:
    raise ValueError(_WORD_CUES)  # no new string constant: the guard reads them all
ORG_WORD_CUE_GATE: frozenset[bytes] = _word_cue_gate
CAPITAL_AFTER_SPACE = re.compile(r"\s[A-Z]")
_LEADING = re.compile(
    r"^(?:(?:hi|hello|hey|sure|ok|okay|yes|yeah|it'?s|its|name:?|company:?|i'?m|i am|this is|"
    r"we'?re|we are|my name is|call me)[\s,:!.-]+)+",
    re.IGNORECASE,
)
_NAME_BARE = re.compile(rf"^{_NAME_TOKEN}(?:\s+{_NAME_TOKEN})*$")
_ORG_BARE = re.compile(r"^[\w&][\w&'’.+-]*(?:\s+[\w&][\w&'’.+,-]*)*$")


def bare_words(text: str, max_words: int, *, companies: bool = False) -> str | None:
    """The whole answer when it is just a short name ("Jane Doe", "acme corp"), else None.

    Args:
        text: The message.
        max_words: Most words a bare name may have.
        companies: Allow digits and "&" as in company names.

    Returns:
        The name as written, without greetings and trailing punctuation.
    """
    body = _LEADING.sub("", text.strip()).strip(" .!,;:")
    words = body.split()
    if not 1 <= len(words) <= max_words or words[0].lower() in COMMON_WORDS:
        return None
    pattern = _ORG_BARE if companies else _NAME_BARE
    return body if pattern.match(body) else None
