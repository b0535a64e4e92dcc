"""What other features' pages need from the workspace, as template globals: the favourite forms
of result cards and sheets, the « Suivre ce facteur » button, the header's news count.

Those pages (search, catalogue, the header) do not import the workspace: they include a
template of `templates/workspace/`, which calls these globals. Each reads the database at most
once per request, and never for an anonymous visitor (the catalogue's pages stay as cheap as
they were for them)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import g, request, url_for
from flask_wtf.csrf import generate_csrf
from sqlalchemy.exc import SQLAlchemyError

from app.accounts.auth import current_user, has_role
from app.db import db
from app.workspace.favourites import favourite_tool_ids
from app.workspace.follows import followed_slugs
from app.workspace.news import unseen_count


@dataclass(frozen=True)
class Forms:
    """The workspace forms of one page, for a signed-in officer."""

    add_url: str
    remove_url: str
    follow_url: str
    unfollow_url: str
    csrf: str
    back: str  # this page: where the forms come back to
    favourites: frozenset[int]  # tool ids

    def kept(self, tool_id: int) -> bool:
        return tool_id in self.favourites


def _officer_id() -> int | None:
    user = current_user()
    return user.id if user is not None and has_role(user, "agent") else None


def workspace_forms() -> Forms | None:
    """This page's workspace forms, or None for a visitor who is not a signed-in officer."""
    if "romin_workspace_forms" not in g:
        user_id = _officer_id()
        g.romin_workspace_forms = (
            None
            if user_id is None
            else Forms(
                add_url=url_for("workspace.add_favourite"),
                remove_url=url_for("workspace.remove_favourite"),
                follow_url=url_for("workspace.follow_factor"),
                unfollow_url=url_for("workspace.unfollow_factor"),
                csrf=generate_csrf(),
                # a page answering a POST (a refused form) has no address to come back to
                back=request.full_path.rstrip("?") if request.method == "GET" else "",
                favourites=frozenset(favourite_tool_ids(db.session, user_id)),
            )
        )
    forms: Forms | None = g.romin_workspace_forms
    return forms


def workspace_follows(slug: str) -> bool:
    """Whether the signed-in officer follows this risk factor."""
    if "romin_followed" not in g:
        user_id = _officer_id()
        g.romin_followed = set() if user_id is None else followed_slugs(db.session, user_id)
    return slug in g.romin_followed


def workspace_news_count() -> int:
    """The header's count: news since the officer last opened « Nouveautés » (one query)."""
    if "romin_news_count" not in g:
        user_id = _officer_id()
        try:
            g.romin_news_count = 0 if user_id is None else unseen_count(db.session, user_id)
        except SQLAlchemyError:  # the database is down: the error page still renders
            g.romin_news_count = 0
    count: int = g.romin_news_count
    return count


TEMPLATE_GLOBALS = (workspace_forms, workspace_follows, workspace_news_count)
