"""Markdown to safe HTML: rendered, then sanitised with an allow-list (nh3)."""
from __future__ import annotations

import markdown as md
import nh3
from markupsafe import Markup

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "ul", "ol", "li", "h3", "h4", "h5", "blockquote", "code", "pre",
    "table", "thead", "tbody", "tr", "th", "td", "hr", "a",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"scope"}, "td": set()}


def render(text: str) -> Markup:
    html = md.markdown(text or "", extensions=["tables", "sane_lists"], output_format="html")
    # Headings inside a sheet start at h3 (h1 is the tool's title, h2 its sections).
    for level in (2, 1):
        html = html.replace(f"<h{level}>", f"<h{level + 2}>").replace(f"</h{level}>", f"</h{level + 2}>")
    clean = nh3.clean(
        html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer",
    )
    return Markup(clean)
