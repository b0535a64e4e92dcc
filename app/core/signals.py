"""Signals that pages send and other features listen to (blinker, shipped with Flask).

A page says what happened (a search answered, a sheet viewed); it never calls the feature that
keeps statistics, so `search` and `catalogue` import nothing of `pilotage`. Receivers run in the
request, so they may read `flask.request` and the signed-in user.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: a search page or API search answered (kwargs: answer)
search_answered = _signals.signal("search-answered")
#: a published tool's sheet was shown, on a page or through the API (kwargs: tool)
tool_viewed = _signals.signal("tool-viewed")
#: a support file was downloaded (kwargs: tool)
support_downloaded = _signals.signal("support-downloaded")
#: an officer rated a tool (kwargs: tool, risk_factor)
feedback_given = _signals.signal("feedback-given")
#: a tool sheet is being rendered (sender: the tool; kwargs: user): each receiver returns the
#: template values of its section of the sheet
sheet_rendering = _signals.signal("sheet-rendering")
