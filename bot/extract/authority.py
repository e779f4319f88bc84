"""Authority extractor: the prospect's say in the purchase, and their title as written."""

from __future__ import annotations

import re
from datetime import datetime

from bot.extract.common import guarded, squash
from bot.extract.types import Authority, AuthorityLevel, Extracted

_I = re.IGNORECASE

_DEPT = (
    r"(?:sales|marketing|growth|product|engineering|it|hr|people|operations|ops|revops|"
    r"customer success|success|support|customer support|customer service|cx|finance|revenue|"
    r"demand gen(?:eration)?|content|digital|business development|bd|biz ?dev|partnerships|"
    r"procurement|purchasing|data|analytics|security|infosec|design|project|program|account|"
    r"accounts|office|community|brand|social media|software|web|qa|devops|talent|recruiting|"
    r"legal|compliance|strategy|technology|tech|innovation|e-?commerce|field|inside sales|"
    r"general|managing|business|solutions|platform|infrastructure|commercial|communications|comms|events|"
    r"client services|services|training|learning|admissions|fundraising|development|research|"
    r"r&d|ux|ui|seo|lead gen(?:eration)?|enablement|quality|logistics|supply chain|"
    r"manufacturing|production|store|shop|restaurant|clinic|practice|branch|regional|national)"
)
_ROLE = (
    r"(?:ceo|cto|cfo|coo|cmo|cio|cro|cpo|ciso|cdo|chief(?: \w+){1,2} officer|co-?founder|"
    r"cofounder|founder|co-?owner|owner|proprietor|president|vice[- ]president|svp|evp|vp|"
    r"head|director|manager|mgr|team lead|lead|supervisor|managing partner|partner|principal|"
    r"chair(?:man|woman|person)?|consultant|advisor|adviser|architect|engineer|developer|dev|"
    r"analyst|specialist|designer|coordinator|administrator|admin|associate|assistant|"
    r"intern|student|representative|rep|agent|executive|officer|strategist|marketer|recruiter|"
    r"accountant|controller|buyer|gm|md|general manager|managing director|product owner|"
    r"scrum master|freelancer|contractor|sdr|bdr|account executive|csm|secretary|receptionist|"
    r"clerk|technician|operator|researcher|scientist|editor|writer|producer|trainee|"
    r"apprentice|board member|treasurer|ops lead|team leader|leader|boss)"
)
_MODS = (
    r"(?:senior|sr\.?|junior|jr\.?|lead|principal|chief|associate|assistant|deputy|acting|"
    r"interim|global|regional|executive|staff|founding|area|country|group|national|"
    r"marketing|sales|it|freelance|independent|external|solo|interim)"
)
_TITLE = (
    r"(?:(?:executive |personal )?assistant|deputy|advisor|adviser) to (?:the )?(?:ceo|cto|cfo|coo|"
    r"founder|president|owner|md|vp|director|head of \w+)|"
    rf"(?:(?:{_MODS}\s+)*(?:{_DEPT}\s+){{0,2}}{_ROLE}\b(?:\s*(?:&|and|/)\s*(?:co-?founder|founder|"
    rf"owner|ceo|cto|coo|president))?(?:\s+(?:of|for)\s+(?:the\s+)?{_DEPT}(?:\s+(?:and|&)\s+"
    rf"{_DEPT})?\b|(?:(?<=vp)|(?<=head))\s+{_DEPT}\b)?)"
)
_INTRO = (
    r"(?:\bi'?m|\bi am|\bim|\bas|\bmy (?:role|title|position|job(?: title)?) is|\bi work as|"
    r"\bi serve as|\bworking as|\bi'?ve been|\bi was hired as|\bi'?m working as|\bi'?m currently|"
    r",|\s[-–]|\.)"
)
OWN_TITLE = re.compile(
    rf"{_INTRO}\s*(?:(?:a|an|the|our|their|one of (?:the|our)|currently|just|only|actually|"
    rf"basically|also|acting|interim|company['’]s|team['’]s)\s+)*(?P<title>{_TITLE})"
    rf"(?!['’]s\b)(?![\w-])",
    _I,
)
START_TITLE = re.compile(
    rf"^\s*(?P<title>{_TITLE})(?=\s*(?:$|here\b|at\b|@|,\s*\w|/|&|and\b|-|–|in\b|for\b))", _I
)
ANY_TITLE = re.compile(
    rf"(?<!my )(?<!our )(?<!not a )(?<!not an )(?<!not the )\b(?P<title>{_TITLE})(?!['’]s\b)", _I
)

SELF_DECIDES = re.compile(
    r"\b(?:i|we)(?:'m| am|'re| are)? (?:the |a )?(?:final |ultimate |main |key |sole |primary )?"
    r"(?:decision[- ]?maker|decider|budget (?:holder|owner)|signatory|approver|economic buyer)|"
    r"\bi (?:make|take|have|own|hold|control|call) (?:the |all )?(?:final |ultimate |last )?"
    r"(?:calls?|decisions?|say|budget|purse strings|sign-?off|authority|shots)|"
    r"\bi (?:decide|approve|authori[sz]e|greenlight|sign)\b|"
    r"^\W*(?:yes,? |yep,? )?(?:the )?(?:final |main |ultimate )?decision[- ]?maker|"
    r"\bi(?:'ll| will| can| do|'d| get to|'m| am)? (?:be )?(?:the one )?(?:who |that )?(?:decides?|"
    r"signs?(?: off)?|approves?|make the (?:call|decision))\b|"
    r"\b(?:it'?s|its|it is|that'?s) (?:my|our|all my) (?:call|decision)|\bmy (?:call|decision)\b|"
    r"\bup to me\b|\bi (?:have|'ve got|hold|get) (?:the )?(?:final say|full (?:authority|control|"
    r"say)|sign(?:ing)? authority|purchasing (?:authority|power))|\bbudget is mine|"
    r"\bi'?m in charge|\bi (?:can|could) (?:buy|purchase|sign|approve)",
    _I,
)
OTHER_DECIDES = re.compile(
    r"(?:\b(?:my|our|the) |^)(?:boss|manager|ceo|cto|cfo|coo|cmo|cio|founder|owner|director|"
    r"vp|head|"
    r"team lead|lead|supervisor|management|leadership|board|execs?|executives?|higher[- ]ups|"
    r"partners?|president|superior|line manager|procurement|finance(?: team)?|it (?:team|dept|"
    r"department)|legal|gm|md|cofounder|co-founder)\b[^.!?]{0,40}?\b(?:decides?|"
    r"(?:will |would )?makes? (?:the |all )?(?:final |ultimate )?(?:calls?|decisions?)|signs?|"
    r"approves?|has (?:the )?final say|will decide|calls the shots|"
    r"needs? to (?:approve|sign)|owns? the budget|holds? the budget|has to (?:approve|sign)|"
    r"would (?:decide|approve|sign)|gets? the final)|"
    r"\b(?:report(?:ing)?|answer) (?:in)?to\b|"
    r"\bneeds? (?:to get )?(?:approval|sign[- ]?off|buy[- ]in|a green light|a go-ahead)|"
    r"\b(?:get|run it by|run this by|check with|ask|talk to|convince|pitch (?:it |this )?to|"
    r"loop in|consult|present (?:it |this )?to|bring (?:it|this) to) (?:my|our|the) "
    r"(?:boss|manager|ceo|cto|cfo|team|management|leadership|board|director|vp|head|founder|"
    r"owner|lead|supervisor|execs?|higher[- ]ups|partners?)|"
    r"\bcommittee\b|\bshortlist|\b(?:i|we) (?:recommend|influence|evaluate|research|scout)|"
    r"\bmake (?:a |the )?recommendation|\b(?:gather|collect)(?:ing)? (?:info|information|"
    r"options|quotes)|(?:not|n'?t) (?:really )?(?:the |a )?(?:decision[- ]?maker|one who "
    r"(?:decides|signs))|(?:not|n'?t) (?:my (?:call|decision)|up to me)|"
    r"(?:don'?t|do not|can'?t|cannot|won'?t) (?:make|sign|approve|decide)|"
    r"(?:decision|call) (?:is|lies|rests|sits) with|(?:joint|shared|group|team|collective|"
    r"committee) decision|decide (?:as a team|together|jointly)|someone else|"
    r"(?:i|we)'?m? (?:on|part of) the (?:evaluation|buying|selection) team|\bi'?ll pass (?:it|this)"
    r"|\binfluencer\b|(?:have|has) (?:a |some )?(?:say|input|influence)|"
    r"\b(?:i'?m|we'?re|i am|we are) (?:\w+ )?(?:researching|evaluating|comparing|exploring|"
    r"looking into)\b|\b\w+['’]s (?:assistant|right hand|deputy)",
    _I,
)
END_USER = re.compile(
    r"\b(?:intern|internship|student|trainee|apprentice|end[- ]user|just a user|day[- ]to[- ]day|"
    r"(?:who|that)(?:'d| would| will|'ll) use it|i(?:'?ll| will|'d| would) be (?:the one )?using|"
    r"i(?:'d| would) (?:be )?us(?:e|ing)|"
    r"hands[- ]on|individual contributor|(?:just|only) (?:an? )?(?:regular |ordinary |normal )?"
    r"(?:employee|staff member|team member|user|agent|rep|worker)|on the (?:team|floor)|"
    r"in the trenches|no (?:say|authority|decision power|purchasing power)|"
    r"(?:don'?t|do not) have (?:any |much )?(?:say|authority|budget)|i (?:just )?use (?:it|the|"
    r"tools)|using it myself|i'?m (?:just )?the one (?:who'?ll|who will|that will) use)\b",
    _I,
)
RUNS_TEAM = re.compile(
    r"\bi (?:run|head(?: up)?|own|oversee|lead|manage|am in charge of|'m in charge of|"
    r"look after|built and run) (?:the |our |a |my )?(?:whole |entire )?(?P<dept>[\w &-]{2,30}?)"
    r" ?(?:team|department|dept|function|org|organization|division|unit|group|business|company|"
    r"agency|shop|store|practice|firm|startup|office)\b",
    _I,
)
_NEGATED = re.compile(r"(?:\bnot|n'?t|\bnever|\bno)\s+(?:\w+\s+){0,2}$", _I)

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
_NEEDS_OF = re.compile(rf"^(vp|svp|evp|head|director)\s+(?!of\b)({_DEPT})$", _I)


def normalize_title(raw: str) -> str:
    """Title-case a title, keep acronyms upper, and write "VP sales" as "VP of Sales"."""
    title = squash(raw).strip(" ,.-")
    if m := _NEEDS_OF.match(title):
        title = f"{m.group(1)} of {m.group(2)}"
    words = []
    for i, w in enumerate(title.split(" ")):
        low = w.lower()
        if low in _ACRONYMS:
            words.append(_MIXED_CASE.get(low, w.upper()))
        elif low in _SMALL and i > 0:
            words.append(low)
        else:
            words.append("-".join(p[:1].upper() + p[1:].lower() for p in w.split("-")))
    return " ".join(words)


_NOT_DM_OWNER = re.compile(r"\b(?:product|process|account|project|business process) owner\b", _I)
_INFLUENCER_ROLE = re.compile(
    r"\b(?:manager|mgr|lead|leader|supervisor|consultant|advisor|adviser|architect|buyer|"
    r"officer|executive|strategist|administrator|admin|owner)\b",
    _I,
)


def level_of_title(title: str) -> AuthorityLevel:
    """Level implied by a title alone.

    Decision maker for C-level, founders, owners, VPs, heads and directors; end user for
    individual-contributor roles; influencer for managers, leads and everything else.
    """
    low = title.lower()
    if re.search(r"\b(?:intern|student|trainee|apprentice)\b", low):
        return "end_user"
    if _NOT_DM_OWNER.search(low) or re.search(r"\b(?:assistant|associate) (?:to|of)\b", low):
        return "influencer"
    if _DM.search(low):
        return "decision_maker"
    if _END.search(low):
        return "end_user"
    return "influencer"


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


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
    "exploring comparing looking scout "
)
_HINT_WORD = re.compile(r"[a-z][a-z'’-]*")


def _positive(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    """First match of ``pattern`` not negated just before ("I don't decide")."""
    for m in pattern.finditer(text):
        if not _NEGATED.search(text, max(0, m.start() - 25), m.start()):
            return m
    return None


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
    if _HINTS.isdisjoint(_HINT_WORD.findall(text.lower())):
        return None
    tm = OWN_TITLE.search(text)
    if tm is None and (start := START_TITLE.search(text)):
        # A message that is only a title ("marketing manager") counts only when asked.
        tm = start if asked or text[start.end() :].strip(" .!") else None
    introduced = tm is not None
    if tm is None and asked:
        tm = ANY_TITLE.search(text)
    title = normalize_title(tm["title"]) if tm else None
    title_level = level_of_title(title) if title else None
    title_span = tm.span("title") if tm else None

    def out(level: AuthorityLevel, conf: float, span: tuple[int, int]) -> Extracted[Authority]:
        lo, hi = span
        if title_span:
            lo, hi = min(lo, title_span[0]), max(hi, title_span[1])
        return Extracted(Authority(level, title), conf, squash(text[lo:hi]))

    if m := _positive(SELF_DECIDES, text):
        return out("decision_maker", 0.9, m.span())
    if title_level == "end_user" and title and re.search(r"intern|student|trainee", title, _I):
        return out("end_user", 0.85, title_span or (0, 0))
    if m := OTHER_DECIDES.search(text):
        level: AuthorityLevel = "end_user" if END_USER.search(text) and not title else "influencer"
        return out(level, 0.8, m.span())
    if title_level and title_span:
        return out(title_level, 0.85 if introduced else 0.75, title_span)
    if m := RUNS_TEAM.search(text):
        verb = m.group().split()[1].lower()
        level = "influencer" if verb in ("lead", "manage") else "decision_maker"
        return out(level, 0.75, m.span())
    if m := END_USER.search(text):
        return out("end_user", 0.7, m.span())
    return None
