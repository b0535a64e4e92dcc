"""What pages tell (app.core.signals) becomes usage events: the pages never import pilotage."""

from __future__ import annotations

from typing import Any

from app.accounts.bearer import TokenOwner
from app.core import signals
from app.models import Tool, User
from app.pilotage.usage import CURRENT_USER, CurrentUser, record


@signals.search_answered.connect
def _search(answer: Any, user: User | TokenOwner | None | CurrentUser = CURRENT_USER) -> None:
    record("search", answer=answer, user=user)


@signals.tool_viewed.connect
def _view(tool: Tool, user: User | TokenOwner | None | CurrentUser = CURRENT_USER) -> None:
    record("view", tool=tool, user=user)


@signals.support_downloaded.connect
def _download(tool: Tool) -> None:
    record("download", tool=tool)


@signals.feedback_given.connect
def _feedback(
    tool: Tool,
    risk_factor: str | None = None,
    user: User | TokenOwner | None | CurrentUser = CURRENT_USER,
) -> None:
    record("feedback", tool=tool, risk_factor=risk_factor, user=user)
