"""Role vocabulary for the authority extractor: titles, departments and who-decides cues."""

from __future__ import annotations

import re

from bot.extract.branches import top_level_branches
from bot.extract.regex_tree import by_first_letter

_I = re.IGNORECASE


def _words(alternation: str) -> str:
    """``alternation`` as one group, its alternatives grouped by first letter."""
    return f"(?:{by_first_letter(alternation)})"


# Grouped by first letter (``_words``): a title tries some two hundred words.
_DEPT_SOURCE = (
    r"sales|marketing|growth|product|engineering|it|hr|people|operations|ops|revops|"
    r"customer success|success|support|customer support|customer service|cx|finance|revenue|"
    r"demand gen(?:eration)?|content|digital|business development|bd|biz ?dev|partnerships|"
    r"procurement|purchasing|data|analytics|security|infosec|design|project|program|account|"
    r"accounts|office|community|brand|social media|software|web|qa|devops|talent|recruiting|"
    r"legal|compliance|strategy|technology|tech|innovation|e-?commerce|field|inside sales|"
    r"general|managing|business|solutions|platform|infrastructure|commercial|communications|comms|events|"
    r"client services|services|training|learning|admissions|fundraising|development|research|"
    r"r&d|ux|ui|seo|lead gen(?:eration)?|enablement|quality|logistics|supply chain|"
    r"manufacturing|production|store|shop|restaurant|clinic|practice|branch|regional|national"
)
DEPT = _words(_DEPT_SOURCE)
_ROLE_SOURCE = (
    r"ceo|cto|cfo|coo|cmo|cio|cro|cpo|ciso|cdo|chief(?: \w+){1,2} officer|co-?founder|"
    r"cofounder|founder|co-?owner|owner|proprietor|president|vice[- ]president|svp|evp|vp|"
    r"head|director|manager|mgr|team lead|lead|supervisor|managing partner|partner|principal|"
    r"chair(?:man|woman|person)?|consultant|advisor|adviser|architect|engineer|developer|dev|"
    r"analyst|specialist|designer|coordinator|administrator|admin|associate|assistant|"
    r"intern|student|representative|rep|agent|executive|officer|strategist|marketer|recruiter|"
    r"accountant|controller|buyer|gm|md|general manager|managing director|product owner|"
    r"scrum master|freelancer|contractor|sdr|bdr|account executive|csm|secretary|receptionist|"
    r"clerk|technician|operator|researcher|scientist|editor|writer|producer|trainee|"
    r"apprentice|board member|treasurer|ops lead|team leader|leader|boss"
)
_ROLE = _words(_ROLE_SOURCE)
# The alternatives of ``_ROLE_SOURCE`` that are not one plain word: (the words they may be,
# glued to what precedes them, their last words, which a word start always precedes).
_ROLE_SHAPES = {
    r"chief(?: \w+){1,2} officer": ((), ("officer",)),
    "co-?founder": (("cofounder",), ("founder", "cofounder")),
    "co-?owner": (("coowner",), ("owner", "coowner")),
    "vice[- ]president": ((), ("president",)),
    "chair(?:man|woman|person)?": (
        ("chair", "chairman", "chairwoman", "chairperson"),
        ("chair", "chairman", "chairwoman", "chairperson"),
    ),
}


def _role_words() -> tuple[frozenset[str], frozenset[str]]:
    """(ROLE_SINGLES, ROLE_ENDS) read from ``_ROLE_SOURCE``; see ``ROLE_ENDS``."""
    singles: set[str] = set()
    ends: set[str] = set()
    for alternative in top_level_branches(_ROLE_SOURCE):
        if alternative.isalpha():
            singles.add(alternative)
            ends.add(alternative)
        elif re.fullmatch(r"[a-z]+(?: [a-z]+)+", alternative):
            ends.add(alternative.rsplit(" ", 1)[1])  # "team lead"
        else:
            glued, last = _ROLE_SHAPES[alternative]  # a KeyError at import: add its shape
            singles.update(glued)
            ends.update(last)
    return frozenset(singles), frozenset(ends)


# Every title a title pattern finds ends its role word (``_ROLE``, followed by "\b") with one
# of ``ROLE_ENDS`` as a whole word, or, glued to the word before it ("i'mceo" after the "m" of
# "i'm"), with one of ``ROLE_SINGLES``: a message with neither has no title (see authority).
ROLE_SINGLES, ROLE_ENDS = _role_words()
_MODS_SOURCE = (
    r"senior|sr\.?|junior|jr\.?|lead|principal|chief|associate|assistant|deputy|acting|"
    r"interim|global|regional|executive|staff|founding|area|country|group|national|sole|"
    r"marketing|sales|it|freelance|independent|external|solo|interim"
)
_MODS = _words(_MODS_SOURCE)
_TITLE = (
    r"(?:(?:executive |personal )?assistant|deputy|advisor|adviser) to (?:the )?(?:ceo|cto|cfo|coo|"
    r"founder|president|owner|md|vp|director|head of \w+)|"
    rf"(?:(?:{_MODS}\s+)*(?:{DEPT}\s+){{0,2}}{_ROLE}\b(?:\s*(?:&|and|/)\s*(?:co-?founder|founder|"
    rf"owner|ceo|cto|coo|president))?(?:\s+(?:of|for)\s+(?:the\s+)?{DEPT}(?:\s+(?:and|&)\s+"
    rf"{DEPT})?\b|(?:(?<=vp)|(?<=head))\s+{DEPT}\b)?)"
)
# The first words of the alternatives of a title's parts that are not plain words: what a
# message's whole word may be where such an alternative starts a title.
_FIRST_SHAPES = {
    r"sr\.?": ("sr",),
    r"jr\.?": ("jr",),
    "demand gen(?:eration)?": ("demand",),
    "lead gen(?:eration)?": ("lead",),
    "biz ?dev": ("biz", "bizdev"),
    "e-?commerce": ("e", "ecommerce"),
    "r&d": ("r",),
    r"chief(?: \w+){1,2} officer": ("chief",),
    "co-?founder": ("co", "cofounder"),
    "co-?owner": ("co", "coowner"),
    "vice[- ]president": ("vice",),
    "chair(?:man|woman|person)?": ("chair", "chairman", "chairwoman", "chairperson"),
}


def _title_first_words() -> frozenset[bytes]:
    """TITLE_FIRST_WORDS read from the sources of ``_TITLE``'s parts; see there."""
    # The first alternative of ``_TITLE`` starts with one of these; the second with a modifier,
    # a department or a role.
    first = {"executive", "personal", "assistant", "deputy", "advisor", "adviser"}
    for source in (_MODS_SOURCE, _DEPT_SOURCE, _ROLE_SOURCE):
        for alternative in top_level_branches(source):
            if re.fullmatch(r"[a-z]+(?: [a-z]+)*", alternative):
                first.add(alternative.split(" ", 1)[0])
            else:
                first.update(_FIRST_SHAPES[alternative])  # a KeyError at import: add its shape
    return frozenset(word.encode("ascii") for word in first)


# Every match of ``_TITLE`` starts with one of these as a whole word of the lowered text (each
# part's first run of letters is followed by a space, ".", "&", "-" or the role's "\b"): a
# message without one has no title at any place a title pattern starts the title itself.
TITLE_FIRST_WORDS = _title_first_words()
# What introduces a title: "I'm", "I am", "as", "my role is", "I work as", "I serve as",
# "working as", "I've been", "I was hired as", a comma, a dash after a space, a period. Written
# as one class of first characters, each then checked by a look-behind, so that ``re`` can skip
# to the next such character in C: with "\b" first, it tried a dozen alternatives at every
# position (15-25 µs per message). Same matches at the same starts, except that a space-dash
# intro now starts at its dash (no other intro starts at a space or a dash, so the leftmost
# match and its title are the same); the "i" alternatives keep their order.
_INTRO = (
    r"(?:[,.\-–iamw](?:(?<=[,.])|(?<=\s[-–])|(?<=i)(?<!\wi)(?:'?m| am|m| work as| serve as|"
    r"'?ve been| was hired as|'?m working as|'?m currently)|(?<=a)(?<!\wa)s|"
    r"(?<=m)(?<!\wm)y (?:role|title|position|job(?: title)?) is|(?<=w)(?<!\ww)orking as))"
)
OWN_TITLE = re.compile(
    rf"{_INTRO}\s*(?:(?:a|an|the|our|their|one of (?:the|our)|currently|just|only|actually|"
    rf"basically|also|acting|interim|company['’]s|team['’]s)\s+)*(?P<title>{_TITLE})"
    rf"(?!['’]s\b)(?![\w-])",
    _I,
)
START_TITLE = re.compile(
    rf"^\s*(?P<title>{_TITLE})(?=\s*(?:$|here\b|at\b|@|,\s*\w|/|&|and\b|-|–|in\b|for\b|"
    r"with\b|from\b|on\b|by\b|who\b|hired\b|working\b|based\b|looking\b|researching\b|doing\b|"
    r"trying\b|checking\b|exploring\b|evaluating\b|interested\b|"
    r"of\s+(?:a|an|my|our|this|two|three|\w+['’]s)\b))",
    _I,
)
# "one of the co-founders": a plural role names the speaker's own title.
PLURAL_TITLE = re.compile(
    r"\bone of (?:the |our |my |\w+ )?(?P<title>co-?founder|cofounder|founder|co-?owner|owner|"
    r"managing partner|partner|managing director|director|board member)s\b",
    _I,
)
# "\b" first: it fails at once inside a word, before the five look-behinds are tried there.
ANY_TITLE = re.compile(
    rf"\b(?<!my )(?<!our )(?<!not a )(?<!not an )(?<!not the )(?P<title>{_TITLE})(?!['’]s\b)", _I
)

SELF_DECIDES = re.compile(
    r"\b(?:i|we)(?:'m| am|'re| are)? (?:the |a )?(?:final |ultimate |main |key |sole |primary )?"
    r"(?:decision[- ]?maker|decider|budget (?:holder|owner)|signatory|approver|economic buyer)|"
    r"\bi (?:make|take|have|own|hold|control|call) (?:the |all )?(?:final |ultimate |last )?"
    r"(?:calls?|decisions?|say|budget|purse strings|sign-?off|authority|shots)|"
    r"\bi (?:decide|approve|authori[sz]e|greenlight|sign)\b|"
    r"^\W*(?:yes,? |yep,? )?(?:the )?(?:final |main |ultimate )?decision[- ]?maker|"
    r"\bi(?:'ll| will| can| do|'d| get to|'m| am)? (?:be )?(?:the one )?(?:who |that )?(?:decides?|"
    r"signs?(?: off)?|approves?|make the (?:final |ultimate )?(?:call|decision))\b|"
    r"\b(?:it'?s|its|it is|that'?s) (?:my|our|all my) (?:call|decision)|\bmy (?:call|decision)\b|"
    r"\bup to me\b|\bi (?:have|'ve got|hold|get) (?:the )?(?:final say|full (?:authority|control|"
    r"say)|sign(?:ing)? authority|purchasing (?:authority|power))|\bbudget is mine|"
    r"\bi'?m in charge|^\W*in charge of\b|\bi (?:can|could) (?:buy|purchase|sign|approve)|"
    r"\b(?:final say|the (?:final )?decision|the call|the budget|sign-?off)(?:'s| is| lies| rests| "
    r"sits| stays) (?:mine|with me|on me)\b|\bbuck stops (?:with|at) me|"
    r"\bi'?m the (?:person|one|guy|gal|woman|man) (?:who|that)(?:'ll| will| would|'d)? "
    r"(?:\w+ )?(?:decides?|approves?|signs?|makes? the (?:call|decision))|"
    r"\bi (?:manage|own|control|hold|run|set) (?:the |our |my )?(?:\w+ )?budget\b|"
    r"\bi'?m responsible for (?:choosing|selecting|buying|purchasing|picking|deciding|approving)|"
    r"\bin charge of (?:choosing|selecting|buying|purchasing|procurement|the budget)|"
    r"\b(?:i'?d|i'?ll|i will|i would|i'?m) (?:be )?(?:the one )?making the (?:decision|call)",
    _I,
)
OTHER_DECIDES = re.compile(
    r"(?:\b(?:my|our|the) |^)(?:boss|manager|ceo|cto|cfo|coo|cmo|cio|founder|owner|director|"
    r"vp|head|"
    r"team lead|lead|supervisor|management|leadership|board|execs?|executives?|higher[- ]ups|"
    r"partners?|president|superior|line manager|procurement|finance(?: team)?|it (?:team|dept|"
    r"department)|legal|gm|md|cofounder|co-founder|dad|father|mom|mum|mother|wife|husband|"
    r"brother|sister|client|family)\b[^.!?]{0,40}?\b(?:decides?|"
    r"(?:will |would )?makes? (?:the |all )?(?:final |ultimate )?(?:calls?|decisions?)|signs?|"
    r"approves?|has (?:the )?final say|will decide|calls the shots|"
    r"needs? to (?:approve|sign)|owns? the budget|holds? the budget|has to (?:approve|sign)|"
    r"would (?:decide|approve|sign)|gets? the final)|"
    r"\b(?:report(?:ing)?|answer) (?:directly |straight )?(?:in)?to\b|"
    r"\bup to (?:my|our|the) (?:boss|manager|board|ceo|cto|cfo|coo|founder|owner|director|vp|"
    r"head|management|leadership|partners?|team)\b|"
    r"\b(?:decision|call)(?: will be| is| gets| would be)? made by\b|"
    r"\blead(?:ing)? the (?:evaluation|search|selection|research|review|vendor search)\b|"
    r"\bneeds? (?:to get )?(?:approval|sign[- ]?off|buy[- ]in|a green light|a go-ahead)|"
    r"\b(?:get|need|have|require|seek)s? (?:the |an? )?(?:approval|sign[- ]?off|buy[- ]in|"
    r"green light|go-ahead|ok) (?:from|of)\b|"
    r"(?<=\w)['’]s (?:approval|sign[- ]?off|ok|okay|blessing|go-ahead|green light)|"
    r"\b(?:ultimately|in the end|at the end of the day|final(?:ly)?),? (?:it'?s )?(?:the|my|our) "
    r"(?:boss|manager|ceo|cto|cfo|coo|founder|owner|director|vp|board|president)\b|"
    r"\basked me to (?:look into|research|find|evaluate|check out|compare|look at|source)|"
    r"\binvolved in the (?:decision|selection|evaluation|buying|purchas)|"
    r"\b(?:get|run it by|run this by|check with|ask|talk to|convince|pitch (?:it |this )?to|"
    r"loop in|consult|present (?:it |this )?to|bring (?:it|this) to) (?:my|our|the) "
    r"(?:boss|manager|ceo|cto|cfo|team|management|leadership|board|director|vp|head|founder|"
    r"owner|lead|supervisor|execs?|higher[- ]ups|partners?)|"
    r"\bcommittee\b|\bshortlist|\b(?:i|we)(?:'ll|'d| will| would| can| could| just| only)? "
    r"(?:recommend|influence|evaluate|research|scout|do the research)|"
    r"\bmake (?:a |the )?recommendation|\b(?:gather|collect)(?:ing)? (?:info|information|"
    r"options|quotes)|(?:not|n'?t) (?:really )?(?:the |a )?(?:decision[- ]?maker|one who "
    r"(?:decides|signs))|(?:not|n'?t) (?:my (?:call|decision)|up to me)|"
    r"(?:don'?t|do not|can'?t|cannot|won'?t) (?:make|sign|approve|decide)|"
    r"(?:decision|call) (?:is|lies|rests|sits) with|(?:joint|shared|group|team|collective|"
    r"committee) decision|decide (?:as a team|together|jointly)|someone else|"
    r"(?:i|we)'?m? (?:on|part of) the (?:evaluation|buying|selection) team|\bi'?ll pass (?:it|this)"
    r"|\binfluencer\b|(?:have|has) (?:a |some |a lot of |lots of |much |real )?(?:say|input|"
    r"influence)|"
    r"\b(?:i'?m|we'?re|i am|we are) (?:\w+ )?(?:researching|evaluating|comparing|exploring|"
    r"looking into)\b|(?<=\w)['’]s (?:assistant|right hand|deputy|ea|pa|executive assistant|"
    r"chief of staff)\b",
    _I,
)
END_USER = re.compile(
    r"\b(?:intern|internship|student|trainee|apprentice|end[- ]user|just a user|day[- ]to[- ]day|"
    r"(?:who|that)(?:'d| would| will|'ll) use it|i(?:'?ll| will|'d| would) be (?:the one )?using|"
    r"i(?:'d| would) (?:be )?us(?:e|ing)|"
    r"hands[- ]on|individual contributor|(?:just|only) (?:an? )?(?:regular |ordinary |normal )?"
    r"(?:employee|staff member|team member|user|agent|rep|worker)|"
    r"on the (?!evaluation|buying|selection)(?:\w+ )?(?:team|floor)|"
    r"in the trenches|no (?:say|authority|decision power|purchasing power)|"
    r"(?:don'?t|do not) have (?:any |much )?(?:say|authority|budget)|i (?:just )?use (?:it|the|"
    r"tools)|using it myself|i'?m (?:just )?the one (?:who'?ll|who will|that will) use|"
    r"(?:the one|the person|the people|one of the (?:people|ones|users)) "
    r"(?:who'?ll be |who will be |who'?d be |that will be )?using (?:it|this)|"
    r"(?:main|primary|power|daily|heavy|actual) user)\b",
    _I,
)
RUNS_TEAM = re.compile(
    r"\bi (?:run|head(?: up)?|own|oversee|lead|manage|am in charge of|'m in charge of|"
    r"look after|built and run) (?:the |our |a |my )?(?:whole |entire |small |little )?"
    r"(?P<dept>[\w &-]{2,30}? ?)?(?:team|department|dept|function|org|organization|division|unit|"
    r"group|business|company|agency|shop|store|practice|firm|startup|office|vertical|clinic|"
    r"restaurant|salon|studio|cafe|bakery|gym|hotel|school|consultancy|franchise|brand)\b",
    _I,
)
# "I head up customer success", "I lead marketing at Acme", "heading the sales vertical": a
# function named without "team". Run/head/own/oversee decide; lead/manage/handle influence.
RUNS_DEPT = re.compile(
    rf"\bi(?:'m| am)? (?P<verb>run|running|head|heading|own|oversee|overseeing|lead|leading|"
    rf"manage|managing|look after|looking after|handle|handling)(?: up)? "
    rf"(?:the |our |all |all of |a |my )?"
    rf"(?:whole |entire )?{DEPT}\b(?!\s+(?:tools?|software|budget|data|process|stuff|emails?))",
    _I,
)
# With ``asked`` ("What's your role in choosing a solution like this?"), whole short answers.
# A bare "me" or "my boss" stays None: it does not say which of the three the prospect is.
ASKED_DM = re.compile(
    r"^\W*(?:(?:i'?d be |i'?ll be |i am |i'?m |mostly )?(?:the one )?making (?:the|a) decision|"
    r"(?:the )?decision(?:[- ]making)?|deciding)\W*$",
    _I,
)
ASKED_INFLUENCER = re.compile(
    r"^\W*(?:(?:i'?d be |i'?ll be |i'?m |i am |mostly |probably )?recommend(?:ing|ation)?"
    r"(?: (?:an? |the )?(?:option|solution|tool|one|vendor))?|i'?d recommend|"
    r"not me\W+(?:it'?s |that'?s |that would be )?(?:our|my|the) (?:\w+ ){0,2}\w+)\W*$",
    _I,
)
