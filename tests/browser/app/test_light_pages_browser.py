"""The built stylesheet and script in a real browser (app.asset_build): the search page and a
sheet keep DSFR's look (Marianne drawn from its woff2, the header's and the cards' styles), load
only the hashed files, each once, and the repeat visit takes them from the browser's cache."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser


def test_the_search_page_keeps_its_look_from_the_hashed_files_alone(page, live_server):
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    page.goto(f"{live_server}/recherche?facteur=addictions", wait_until="networkidle")
    files = [u for u in asked if "/static/" in u or "/dsfr/" in u]
    assert files and all(re.search(r"/static/.+\.[0-9a-f]{12}\.\w+$", u) for u in files), files
    assert len(files) == len(set(files))
    # DSFR's look: its font, its card, its header, from the one stylesheet
    assert page.evaluate("document.fonts.check('16px Marianne')")
    loaded = page.evaluate(
        "[...document.fonts].filter(f => f.status === 'loaded').map(f => f.weight)"
    )
    assert loaded and set(loaded) <= {"400", "700"}
    card = page.locator("#contenu .fr-card").first
    assert card.evaluate("e => getComputedStyle(e).display") == "flex"
    header = page.locator(".fr-header").first
    assert header.evaluate("e => getComputedStyle(e).filter").startswith("drop-shadow")
    # the design system's script ran (it marks the page once started)
    page.wait_for_function("document.documentElement.hasAttribute('data-fr-js')")

    asked.clear()
    page.goto(f"{live_server}/recherche?facteur=addictions", wait_until="networkidle")
    again = [u for u in asked if "/static/" in u]
    responses = page.evaluate(
        "performance.getEntriesByType('resource').filter(e => e.name.includes('/static/'))"
        ".map(e => e.transferSize)"
    )
    assert all(size == 0 for size in responses), (again, responses)  # from the cache
