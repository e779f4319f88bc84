"""Answer understanding: turn a prospect's free text into typed BANT and contact values."""

from __future__ import annotations

from bot.extract.authority import extract_authority
from bot.extract.budget import extract_budget
from bot.extract.company_size import extract_company_size
from bot.extract.contact import (
    extract_company,
    extract_contact,
    extract_email,
    extract_name,
    extract_phone,
)
from bot.extract.country import extract_country
from bot.extract.need import DEFAULT_NEED_CATEGORIES, NeedExtractor, extract_need
from bot.extract.timeline import extract_timeline
from bot.extract.types import Extractor

EXTRACTORS: dict[str, Extractor] = {
    "budget": extract_budget,
    "timeline": extract_timeline,
    "authority": extract_authority,
    "need": extract_need,
    "email": extract_email,
    "phone": extract_phone,
    "name": extract_name,
    "company": extract_company,
    "company_size": extract_company_size,
    "country": extract_country,
}

__all__ = [
    "DEFAULT_NEED_CATEGORIES",
    "EXTRACTORS",
    "NeedExtractor",
    "extract_authority",
    "extract_budget",
    "extract_company",
    "extract_company_size",
    "extract_contact",
    "extract_email",
    "extract_name",
    "extract_need",
    "extract_phone",
    "extract_timeline",
]
