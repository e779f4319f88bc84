"""The default need categories: keywords and phrases that tag a prospect's pain."""

from __future__ import annotations

DEFAULT_NEED_CATEGORIES: dict[str, tuple[str, ...]] = {
    "lead_generation": (
        "leads", "lead gen", "lead generation", "pipeline", "prospects", "prospecting",
        "inbound", "outbound", "demo requests", "signups", "sign-ups", "conversion",
        "conversions", "conversion rate", "qualify", "qualifying", "qualification", "mql",
        "sql", "traffic", "outreach", "website visitors", "form fills", "converting", "convert",
        "visitors", "sign up", "lead management",
    ),
    "sales": (
        "sales team", "sales process", "follow up", "follow-up", "follow-ups", "crm", "deals",
        "quota", "close rate", "closing", "reps", "sales cycle", "quotes", "proposals",
        "selling", "revenue", "salespeople", "sales people", "account executives", "upsell",
        "upselling",
    ),
    "customer_support": (
        "support", "tickets", "ticket", "helpdesk", "help desk", "customer service",
        "response time", "response times", "live chat", "chatbot", "faq", "inquiries",
        "enquiries", "complaints", "backlog", "customer questions", "support queue", "chat",
        "chats", "same questions", "common questions", "reply time",
        "customer care", "deflect", "deflection", "respond to customers",
    ),
    "marketing": (
        "marketing", "campaigns", "campaign", "seo", "ads", "advertising", "social media",
        "newsletter", "email marketing", "brand", "engagement", "content",
    ),
    "automation": (
        "automate", "automation", "automating", "manual", "manually", "repetitive",
        "spreadsheets", "spreadsheet", "excel", "copy paste", "copy-paste", "copy-pasting",
        "copy pasting", "automatically", "workflow",
        "workflows", "data entry", "busywork", "time-consuming", "by hand", "admin work",
        "admin tasks", "paperwork",
    ),
    "analytics": (
        "reporting", "reports", "dashboards", "dashboard", "analytics", "metrics", "kpis",
        "insights", "visibility", "track", "tracking", "attribution", "forecasting",
    ),
    "integration": (
        "integrate", "integration", "integrations", "sync", "syncing", "api", "connect",
        "salesforce", "hubspot", "slack", "zapier", "silos", "siloed", "single source of truth",
    ),
    "cost": (
        "cost", "costs", "expensive", "save money", "cheaper", "budget cuts", "overpaying",
        "roi", "spend less", "paying too much", "pay too much", "too expensive",
    ),
    "scaling": (
        "scale", "scaling", "growth", "growing fast", "volume", "expand", "expansion", "expanding",
    ),
    "compliance": (
        "gdpr", "compliance", "compliant", "security", "soc 2", "soc2", "hipaa", "audit", "privacy",
    ),
    "scheduling": (
        "scheduling", "schedule", "calendar", "appointments", "book", "booking", "bookings",
        "no-shows",
        "meetings",
    ),
}  # fmt: skip
