"""Markdown to safe HTML: rendered, then sanitised with an allow-list (nh3)."""

from __future__ import annotations

import re

import markdown as md
import nh3
from markupsafe import Markup

ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "ul",
    "ol",
    "li",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "code",
    "pre",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "hr",
    "a",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"scope"}, "td": set()}


_HEADING = re.compile(r"<(/?)h([1-6])>")


def _headings_from_h3(html: str) -> str:
    """Inside a sheet, headings start at h3 (h1 is the tool's title, h2 its sections), without
    skipping a level: the text's highest heading becomes h3, the others follow."""
    levels = [int(m.group(2)) for m in _HEADING.finditer(html)]
    if not levels:
        return html
    shift = 3 - min(levels)
    return _HEADING.sub(lambda m: f"<{m.group(1)}h{min(6, int(m.group(2)) + shift)}>", html)


def render(text: str) -> Markup:
    html: str = md.markdown(text or "", extensions=["tables", "sane_lists"], output_format="html")
    html = _headings_from_h3(html)
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )
    return Markup(clean)
