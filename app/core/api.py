"""flask-smorest's `abort`, typed: the library ships no type hints, and mypy must know that it
always raises (an HTTP error the API answers as JSON) to narrow the code after it."""

from __future__ import annotations

from collections.abc import Callable
from typing import NoReturn

from flask_smorest import abort as _smorest_abort

abort: Callable[..., NoReturn] = _smorest_abort
