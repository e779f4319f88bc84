"""The console's server-rendered pages (login, the app shell) and its static files.

Pages are ``string.Template`` files from static/console/ filled with escaped values only: the
one place the server writes HTML, so the one place escaping has to be right.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from string import Template

from aiohttp import web

STATIC = Path(__file__).with_name("static") / "console"
ASSET = re.compile(r"^[a-z][a-z0-9_-]{0,40}\.(js|css|svg)$")
TYPES = {
    "js": "application/javascript; charset=utf-8",
    "css": "text/css; charset=utf-8",
    "svg": "image/svg+xml",
}


class Pages:
    """Templates and assets, read once (a restart picks up edits, as with widget.js)."""

    def __init__(self, folder: Path = STATIC) -> None:
        self._folder = folder
        self._templates: dict[str, Template] = {}
        self._assets: dict[str, bytes] = {}

    def render(self, name: str, status: int = 200, **values: str) -> web.Response:
        """Fill template ``name`` with ``values``, each HTML-escaped (quotes included)."""
        template = self._templates.get(name)
        if template is None:
            template = Template((self._folder / name).read_text(encoding="utf-8"))
            self._templates[name] = template
        body = template.substitute({k: html.escape(v, quote=True) for k, v in values.items()})
        return web.Response(text=body, status=status, content_type="text/html", charset="utf-8")

    async def asset(self, request: web.Request) -> web.Response:
        """One file of static/console by exact name (no paths, no dot files, known types)."""
        name = request.match_info["name"]
        match = ASSET.match(name)
        if match is None or not (self._folder / name).is_file():
            raise web.HTTPNotFound()
        body = self._assets.get(name)
        if body is None:
            body = self._assets[name] = (self._folder / name).read_bytes()
        return web.Response(
            body=body,
            headers={"Content-Type": TYPES[match.group(1)], "Cache-Control": "no-cache"},
        )
