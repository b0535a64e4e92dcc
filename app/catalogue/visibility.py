"""Who may see a tool: anyone once it is published, curators (and admins) at every status.

The one rule the sheet, its supports' downloads and the API apply."""

from __future__ import annotations

from app.accounts.auth import has_role
from app.accounts.bearer import TokenOwner
from app.core.vocabulary import PUBLISHED
from app.models import Tool, User


def may_see(tool: Tool, user: User | TokenOwner | None) -> bool:
    return tool.status == PUBLISHED or has_role(user, "curator")
