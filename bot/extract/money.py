"""Money vocabulary for the budget extractor: figures with currency, and the words around them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.extract.folded import Folded
from bot.extract.numbers import MULTIPLIERS, NUMBER, parse_number
from bot.extract.types import Period

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

_MONEY = re.compile(
    rf"(?<![\w.,/:])(?:(?P<pre>{_PRE})\s?)?(?P<num>{NUMBER})"
    rf"(?:\s?(?P<mult>{_MULT})(?![a-z]))?(?:\s?(?P<post>{_POST})(?![a-z]))?",
    _I,
)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A figure that might be money, with what was written around it."""

    start: int
    end: int
    value: float
    mult: str | None
    currency: str | None
    plain_year: bool


def currency_code(token: str | None) -> str | None:
    """ISO 4217 code for a currency symbol or word, or None."""
    if not token:
        return None
    t = token.lower().replace(" sterling", "")
    return _CURRENCIES.get(t) or _CURRENCIES.get(t.rstrip("s"))


def find_candidates(text: str) -> list[Candidate]:
    """Every figure in ``text`` with its multiplier and currency applied."""
    out: list[Candidate] = []
    for m in _MONEY.finditer(text):
        num = m.group("num")
        value = parse_number(num)
        if value is None:
            continue
        mult = m.group("mult")
        if mult:
            value *= MULTIPLIERS.get(mult, MULTIPLIERS.get(mult.lower(), 1.0))
        currency = currency_code(m.group("pre")) or currency_code(m.group("post"))
        plain_year = len(num) == 4 and num.isdigit() and 1900 <= int(num) <= 2100
        out.append(Candidate(m.start(), m.end(), value, mult, currency, plain_year))
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
MONEY_WORDS = re.compile(
    r"\b(?:budget\w*|budjet|buget|bugdet|budet|spend\w*|spent|afford\w*|pay|paying|paid|payment|"
    r"cost\w*|price\w*|quoted|sign(?:ed|s)? off|"
    r"invest\w*|allocat\w*|set aside|earmark\w*|funds?|funding|money|cash|dollars?|euros?|"
    r"bucks|quid|pounds|grand|fees?|ceiling|ballpark|capex|opex|per (?:seat|user|license)|"
    r"(?:per|a|/)\s?(?:month|mo|year|yr)|monthly|annually|yearly|approved|sign off|range)\b",
    _I,
)
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

_MONTH = (
    r"(?:/\s*(?:mo|mon|month|mth|m)\b|per\s*(?:mo|month|mth)\b|an?\s+mo(?:nth)?\b|"
    r"each\s+month|every\s+month|monthly|p\.?\s?/?m\.?(?![a-z0-9])|pcm\b|mrr\b|month\b|"
    r"for (?:the|a) (?:whole |full |entire )?month\b)"
)
_YEAR = (
    r"(?:/\s*(?:yr|year|y|annum|a)\b|per\s*(?:yr|year|annum)\b|an?\s+(?:year|yr)\b|"
    r"each\s+year|every\s+year|annually|yearly|annual\b|p\.?\s?a\.?(?![a-z0-9])|arr\b|year\b|"
    r"for (?:the|a) (?:whole |full |entire )?year\b)"
)
_FILLER = (
    r"(?:usd|eur|gbp|dollars?|euros?|in total|total|each|for (?:it|this|that|the \w+)|budget|"
    r"max|tops|\+|or so|-?ish|roughly|or (?:more|less)|give or take|is (?:our|the) budget|,)"
)
_RIGHT_MONTH = re.compile(rf"(?:\s*{_FILLER})*\s*{_MONTH}", _I)
_RIGHT_YEAR = re.compile(rf"(?:\s*{_FILLER})*\s*{_YEAR}", _I)
PERIOD_LEFT = re.compile(
    r"(?P<m>monthly|per month|each month|every month|a month)|"
    r"(?P<y>annual(?:ly)?|yearly|per year|per annum|each year|every year|a year)",
    _I,
)
_ANY_MONTH = re.compile(
    r"(?<!in )(?<!within )(?<!for )(?<!next )(?:monthly|per month|/\s?mo\b|/\s?month|a month\b)",
    _I,
)
_ANY_YEAR = re.compile(
    r"(?<!in )(?<!within )(?<!for )(?<!next )(?:annually|yearly|per year|per annum|/\s?yr\b|"
    r"/\s?year|a year\b|annual\b)",
    _I,
)
# ``period_of`` runs for every money figure: ``Folded`` skips these case-insensitive scans when
# their literals are absent (``search``/``finditer`` give the exact pattern's matches).
_PERIOD_LEFT, _ANY_MONTH_FAST, _ANY_YEAR_FAST = map(Folded, (PERIOD_LEFT, _ANY_MONTH, _ANY_YEAR))

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


def period_of(text: str, start: int, end: int, *, anywhere: bool = False) -> Period | None:
    """Period of a figure at ``text[start:end]``, or None.

    Looks right after the figure ("5k a month"), just before it ("monthly: 5k"), and with
    ``anywhere`` anywhere in the text in an unambiguous form ("per month").
    """
    right = text[end : end + 60]
    if _RIGHT_MONTH.match(right):
        return "month"
    if _RIGHT_YEAR.match(right):
        return "year"
    left = text[max(0, start - 50) : start]
    found: Period | None = None
    for m in _PERIOD_LEFT.finditer(left):
        found = "month" if m.group("m") else "year"
    if found or not anywhere:
        return found
    if _ANY_MONTH_FAST.search(text):
        return "month"
    if _ANY_YEAR_FAST.search(text):
        return "year"
    return None
