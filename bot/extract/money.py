"""Money vocabulary for the budget extractor: figures with currency, and the words around them."""

from __future__ import annotations

import re
from typing import NamedTuple

from bot.extract.money_period import lowered_twin
from bot.extract.numbers import MULTIPLIERS, NUMBER, parse_number
from bot.extract.regex_tree import by_first_letter

_I = re.IGNORECASE

# Currency spellings → ISO 4217. A bare "$" is read as USD: the commonest meaning in chat.
_CURRENCIES: dict[str, str] = {
    "$": "USD", "us$": "USD", "usd": "USD", "dollar": "USD", "dollars": "USD", "bucks": "USD",
    "buck": "USD", "€": "EUR", "eur": "EUR", "euro": "EUR", "euros": "EUR", "£": "GBP",
    "gbp": "GBP", "pound": "GBP", "pounds": "GBP", "quid": "GBP", "¥": "JPY", "jpy": "JPY",
    "yen": "JPY", "₹": "INR", "inr": "INR", "rs": "INR", "rs.": "INR", "rupees": "INR",
    "rupee": "INR", "cad": "CAD", "ca$": "CAD", "c$": "CAD", "aud": "AUD", "a$": "AUD",
    "au$": "AUD", "nzd": "NZD", "nz$": "NZD", "chf": "CHF", "francs": "CHF", "sek": "SEK",
    "nok": "NOK", "dkk": "DKK", "pln": "PLN", "zł": "PLN", "zloty": "PLN", "brl": "BRL",
    "r$": "BRL", "reais": "BRL", "mxn": "MXN", "sgd": "SGD", "s$": "SGD", "hkd": "HKD",
    "hk$": "HKD", "zar": "ZAR", "rand": "ZAR", "cny": "CNY", "rmb": "CNY", "yuan": "CNY",
    "₽": "RUB", "rub": "RUB", "₩": "KRW", "krw": "KRW", "₺": "TRY", "try": "TRY",
    "₪": "ILS", "ils": "ILS", "₱": "PHP", "php": "PHP", "aed": "AED", "dirhams": "AED",
}
_SYM = r"(?:us\$|ca\$|au\$|nz\$|hk\$|[cars]\$|[$€£¥₹₽₩₺₪₱]|zł)"
_CODE = r"(?:usd|eur|gbp|jpy|inr|cad|aud|nzd|chf|sek|nok|dkk|pln|brl|mxn|sgd|hkd|zar|cny|rmb|aed)"
_PRE = rf"(?:{_SYM}|{_CODE}\b|rs\.?(?=\s?\d))"
_WORDS = (
    r"(?:dollars?|bucks?|euros?|pounds?(?: sterling)?|quid|yen|rupees?|francs|zloty|reais|rand|"
    r"yuan|dirhams)"
)
_POST = rf"(?:{_SYM}|{_CODE}|{_WORDS})"
_MULT = r"(?:k|mm|mn|m|bn|thousand|thou|grand|million|mill|mil|billion|lakhs?|lac|crores?)"

_MONEY_BODY = (
    rf"(?<![\w.,/:])(?:(?P<pre>{_PRE})\s?)?(?P<num>{NUMBER})"
    rf"(?:\s?(?P<mult>{_MULT})(?![a-z]))?(?:\s?(?P<post>{_POST})(?![a-z]))?"
)
# Every match of ``_MONEY_BODY`` has a digit at most ``_LEAD`` characters after its start (a
# prefix of up to three characters, "us$" or "rs.", and one space) and none before it. So the next
# match starts at or after the next digit less ``_LEAD``: ``find_candidates`` jumps there and tries
# the ``_LEAD + 1`` starts in order (the lazy lead), instead of ``finditer`` trying the whole
# pattern at every character. The match is group "at".
_LEAD = 4
_MONEY_NEAR = re.compile(rf"[\s\S]{{0,{_LEAD}}}?(?P<at>{_MONEY_BODY})", _I)
# The same without IGNORECASE, for ASCII text lowered, as ``Folded`` does (3 times faster). Safe
# although "zł" is not lowercase ASCII: "ł" matches no ASCII character, with or without the flag.
_MONEY_NEAR_LOWERED = re.compile(_MONEY_NEAR.pattern)
# A figure has a currency only through ``_PRE`` or ``_POST``. In ASCII text lowered, each of
# their matches holds a "$" (the other symbols and "zł" are not ASCII) or is one of these words
# ("euro" holds "eur") at the start of a word of the text, or glued to the figure's last digit
# ("40usd": ``GLUED_CURRENCY``). No match of ``_MONEY_BODY`` starts after a word character; a
# currency after "\s" starts a word, and one right after a multiplier is a symbol (a
# multiplier is followed by no letter).
_CURRENCY_NAMES = (
    "dollar", "buck", "pound", "quid", "yen", "rupee", "franc", "zloty", "reais", "rand", "yuan",
    "dirham",
)  # fmt: skip
_GLUED = (*_CODE[3:-1].split("|"), *_CURRENCY_NAMES)
CURRENCY_WORDS = (*_GLUED, "rs")
GLUED_CURRENCY = re.compile(f"[0-9](?:{by_first_letter('|'.join(_GLUED))})")
_DIGIT = re.compile(r"\d")
_ASCII_DIGIT = re.compile("[0-9]")


class Candidate(NamedTuple):
    """A figure that might be money, with what was written around it.

    A named tuple: made for every figure, it is built twice as fast as a frozen dataclass.
    """

    start: int
    end: int
    value: float
    mult: str | None
    currency: str | None
    plain_year: bool


# ``tuple.__new__``: what a named tuple's generated ``__new__`` calls with its fields in order.
_new_tuple = tuple.__new__


def currency_code(token: str | None) -> str | None:
    """ISO 4217 code for a currency symbol or word, or None."""
    if not token:
        return None
    t = token.lower().replace(" sterling", "")
    return _CURRENCIES.get(t) or _CURRENCIES.get(t.rstrip("s"))


def find_candidates(text: str, lowered: str | None = None) -> list[Candidate]:
    """Every figure in ``text`` with its multiplier and currency applied.

    ``lowered``, when given, is ``text.lower()`` of ASCII ``text``: the scan then runs on it.
    """
    out: list[Candidate] = []
    pos = 0
    near = _MONEY_NEAR if lowered is None else _MONEY_NEAR_LOWERED
    src = text if lowered is None else lowered
    # On ASCII text "\d" is "[0-9]", which ``re`` tests a third faster than the category.
    digits = _DIGIT if lowered is None else _ASCII_DIGIT
    # The matches of ``_MONEY_BODY`` found one after the other from the start of the text (as
    # ``finditer`` finds them), looked for from the digits only (see ``_LEAD``).
    while (digit := digits.search(src, pos)) is not None:
        start = max(pos, digit.start() - _LEAD)
        m = near.match(src, start)
        if m is None:
            pos = start + _LEAD + 1  # no match starts at any of the starts tried
            continue
        pos = m.end()
        num, pre, post = m.group("num", "pre", "post")
        value = parse_number(num)
        if value is None:
            continue
        # Lowering changes neither digits nor currency (read lowered); the multiplier as written.
        mult_start, mult_end = m.span("mult")
        mult = text[mult_start:mult_end] if mult_start >= 0 else None
        if mult:
            # No factor is 0: ``or`` reads the lowered spelling only for one not written so.
            value *= MULTIPLIERS.get(mult) or MULTIPLIERS.get(mult.lower(), 1.0)
        currency = (currency_code(pre) or currency_code(post)) if pre or post else None
        plain_year = len(num) == 4 and num.isdigit() and 1900 <= int(num) <= 2100
        # ``Candidate(...)`` without its ``__new__`` in Python: 1,100 instructions against 3,600.
        out.append(_new_tuple(Candidate, (m.start("at"), pos, value, mult, currency, plain_year)))
    return out


_HEADS = (
    r"people|persons?|employees?|staff(?:ers)?|users?|seats?|licen[cs]es?|members?|heads?|"
    r"devs?|developers?|engineers?|reps?|agents?|customers?|clients?|leads?|tickets?|calls?|"
    r"emails?|messages?|visitors?|orders?|accounts?|locations?|stores?|offices?|countries|times|"
    r"contacts?|subscribers?|followers?|downloads?|installs?|units?|items?|products?|skus?|"
    r"pages?|sites?|projects?|deals?|companies|businesses|partners?|students?|patients?|"
    r"vendors?|tools?|sales ?people|hires|folks|guys|interns|requests|conversations|chats|"
    r"queries|signups|sign-ups|trials|demos|meetings|mqls?|sqls?|opportunities|records|rows|"
    r"strong|contractors?|freelancers?|brands?|teams?|departments?|markets?|languages?|"
    r"channels?|integrations?|apps?|servers?|sessions?|visits?|views?|invoices?|shipments?"
)
NOT_MONEY_RIGHT = re.compile(
    rf"\s*(?:%|percent\b|pct\b|per ?cent\b|(?:days?|weeks?|wks?|months?|mos|years?|yrs?|hours?|"
    rf"hrs?|minutes?|mins?|seconds?|secs?)\b|(?:[a-z]+[\s-])?(?:{_HEADS})\b|x\b|gb\b|tb\b|mb\b|"
    rf"kg\b|km\b|miles?\b|st\b|nd\b|rd\b|th\b|-(?:person|people|strong|man|seat)\b)",
    _I,
)
TIME_RIGHT = re.compile(r"\s*(?:am\b|pm\b|a\.m|p\.m|o'?clock|[:/]\d|h\b)", _I)
NOT_MONEY_LEFT = re.compile(
    r"(?:team of|group of|staff of|company of|headcount of|\bq|\bh|\bfy|\bv|version|step|"
    r"\bno\.|number|#|top|page|room|ext\.?|tier|level|phase|plan|wave|rank(?:ed)?|aged?|"
    r"\b(?:january|february|march|april|may|june|july|august|september|october|november|"
    r"december|jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)\.?|"
    r"\d\s?/)\s*$",
    _I,
)
YEAR_PREP = re.compile(
    r"(?:\bin|\bby|since|until|till|before|after|during|from|\bof|early|mid|late|end of|"
    r"start of|\bq[1-4]|\bh[12]|\bfy|'|year)\s*$",
    _I,
)
_MONEY_TERMS = (
    r"budget\w*|budjet|buget|bugdet|budet|spend\w*|spent|afford\w*|pay|paying|paid|payment|"
    r"cost\w*|price\w*|quoted|sign(?:ed|s)? off|"
    r"invest\w*|allocat\w*|set aside|earmark\w*|funds?|funding|money|cash|dollars?|euros?|"
    r"bucks|quid|pounds|grand|fees?|ceiling|ballpark|capex|opex|per (?:seat|user|license)"
)
_MONEY_PER = r"(?:per|a|/)\s?(?:month|mo|year|yr)"
_MONEY_TERMS_AFTER = r"monthly|annually|yearly|approved|sign off|range"
MONEY_WORDS = re.compile(rf"\b(?:{_MONEY_TERMS}|{_MONEY_PER}|{_MONEY_TERMS_AFTER})\b", _I)
# ``MONEY_WORDS`` in two parts, one of which matches wherever it does (an alternative and the
# "\b" around it): the words, whose heads a message must have (a word gate), and "per month",
# "a year" or "/mo", whose literals it must hold ("/" is no word: the whole has no word gate).
MONEY_TERMS = re.compile(rf"\b(?:{_MONEY_TERMS}|{_MONEY_TERMS_AFTER})\b", _I)
MONEY_PER = re.compile(rf"\b(?:{_MONEY_PER})\b", _I)
RANGE_JOIN = re.compile(r"\s*(?P<word>-+|–|—|to|and|or|through|thru|bis|à)\s*", _I)
_THEN = r"(?:\s*(?:/\s*(?:mo|month|yr|year)|per \w+|a month|a year|monthly|annually|yearly))?"
MIN_RIGHT = re.compile(
    _THEN + r"\s*(?:\+|plus\b|or (?:more|above|higher|up)|and (?:up|above|upwards|more)|minimum\b|"
    r"min\b|at (?:the )?least|upwards|and beyond)",
    _I,
)
MAX_RIGHT = re.compile(
    _THEN + r"\s*(?:max(?:imum)?\b|tops\b|at (?:the )?most|or (?:less|under|below|lower)|"
    r"and (?:under|below|less)|(?:hard )?cap\b|ceiling\b|limit\b|absolute max|"
    # "12k is the max we'd go", "5k a month is the most we can do", "10k is our ceiling"
    r"(?:is|'s|would be|will be) (?:our|the|my) (?:absolute |very )?(?:max(?:imum)?|most|"
    r"ceiling|limit|cap|upper limit|top end)\b)",
    _I,
)
MAX_LEFT = re.compile(
    r"(?:under|below|less than|lower than|max(?:imum)?(?: of)?|up ?to|no more than|not more than|"
    r"no higher than|at (?:the )?most|capped at|cap(?: of| is| at)?|within|tops|"
    r"not (?:to )?exceed(?:ing)?|(?:shouldn't|should not|can't|cannot|won't) (?:exceed|go "
    r"(?:above|over|beyond|past))|ceiling (?:of|is)|limit (?:of|is)|limited to|"
    r"no (?:more|higher) than|<=?|≤|sub|south of|as (?:much|high) as|stretch(?:ing)? (?:up )?to|"
    # A negated "more than" is a ceiling: "we won't spend more than", "not looking to pay over".
    r"(?:n'?t|\bnot|\bnever|cannot|\bnothing)\s+(?:[a-z']+\s+){0,3}?(?:more than|over|above|"
    r"beyond|in excess of|higher than))\s*(?:of\s*)?"
    r"(?:about|around|roughly|approximately|~)?\s*$",
    _I,
)
MIN_LEFT = re.compile(
    r"(?:at ?least|minimum(?: of)?|min\.?|over|more than|above|starting (?:at|from)|"
    r"starts at|north of|in excess of|upwards of|no less than|not less than|greater than|"
    r">=?|≥|beyond|from)\s*$",
    _I,
)
APPROX_LEFT = re.compile(
    r"(?:about|around|roughly|approx\.?|approximately|~|circa|ca\.|ballpark(?: of)?|"
    r"something like|give or take|in the region of|close to|nearly|almost|estimated|"
    r"probably|maybe|like)\s*$",
    _I,
)
APPROX_RIGHT = re.compile(r"\s*(?:-?ish\b|or so\b|give or take|ballpark|roughly)", _I)


# ``MIN_RIGHT``, else ``MAX_RIGHT``, else ``APPROX_RIGHT`` in one match: an alternation tries
# its branches in order, each as its own pattern would, so the match is the first of the three
# that matches, and group "min" or "max" (neither for the third) says which. The three hold no
# capturing group. ``budget`` asks all three of most figures: one call instead of two or three
# (about 1,500 instructions each on " a year").
BOUND_RIGHT = re.compile(
    rf"(?P<min>{MIN_RIGHT.pattern})|(?P<max>{MAX_RIGHT.pattern})|(?:{APPROX_RIGHT.pattern})", _I
)


class Rules(NamedTuple):
    """The patterns matched at the start of the text right after a figure."""

    not_money: re.Pattern[str]
    time: re.Pattern[str]
    min: re.Pattern[str]
    max: re.Pattern[str]
    approx: re.Pattern[str]
    bound: re.Pattern[str]


# For the text as written, and for ASCII text lowered (see ``money_period.lowered_twin``).
RULES = Rules(NOT_MONEY_RIGHT, TIME_RIGHT, MIN_RIGHT, MAX_RIGHT, APPROX_RIGHT, BOUND_RIGHT)
LOWERED_RULES = Rules(*map(lowered_twin, RULES))

NO_BUDGET = re.compile(
    r"\b(?:no|zero|nil|0|without (?:a |any )?)\s*(?:real |set |fixed |formal |dedicated |"
    r"allocated |approved |defined |specific )?budget(?!\s*(?:limit|constraint|cap|issue|"
    r"problem|concern|restriction))|"
    r"(?:don'?t|do not|dont|haven'?t|have not|didn'?t|did not|hasn'?t)\s+(?:really\s+|yet\s+)?"
    r"(?:have|got|set|allocated?|approved?|gotten|defined)\s+(?:a\s+|any\s+)?(?:real\s+|set\s+|"
    r"fixed\s+|formal\s+|specific\s+)?budget|"
    r"nothing(?:'s| has| is)?(?: been)? (?:allocated|budgeted|set aside|earmarked|approved)|"
    r"not (?:yet )?(?:budgeted|allocated|funded)|unbudgeted|unfunded|"
    r"budget (?:is|of|=)\s*(?:zero|nil|nothing|0\b|\$0)|"
    r"(?:haven'?t|have not) (?:allocated|budgeted|set aside|earmarked) (?:anything|any)|"
    r"no (?:money|funds|funding|cash)(?: for| allocated| set aside| yet| available)|"
    r"budget (?:hasn'?t|has not) been (?:set|allocated|approved|defined)|\bno \$\b|broke\b",
    _I,
)
# With ``asked``, a whole answer of "none (yet)", "nothing", "zero" or "we don't have one" is a
# zero budget: the question gives the bare word its meaning.
NO_BUDGET_ASKED = re.compile(
    r"^\W*(?:(?:none|nothing|zero|nil|nada|zilch|no money|no funds)(?: really| at all)?"
    r"(?:\s*[,;.!–-]\D*)?|"
    r"(?:we |i )?(?:don'?t|do not|haven'?t) (?:have|got) (?:one|any))"
    r"(?:\W+(?:yet|so far|at the moment|atm|right now|for now|currently|lol|tbh|honestly))*\W*$",
    _I,
)
PHONE_LIKE = re.compile(
    r"\+\d[\d\s().-]{6,}\d|\(\d{3}\)\s?\d{3}[\s.-]?\d{4}|\b\d{3}[.-]\d{3}[.-]\d{4}\b|"
    r"\b\d{3} \d{3} \d{4}\b|\b0\d{9,10}\b|\b0\d{3,4}\s\d{6,7}\b|"
    r"\b0\d{2,4}[\s-]\d{3,4}[\s-]\d{3,4}\b"
)
