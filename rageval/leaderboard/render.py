"""The dispatch ``render(board, fmt)`` to the leaderboard writers: Markdown, CSV, JSON and LaTeX
(`tables`) and HTML (`html`), registered by format name in `WRITERS`."""
from __future__ import annotations

from typing import TYPE_CHECKING

from rageval.core.errors import ConfigError
from rageval.core.registry import Registry

if TYPE_CHECKING:
    from rageval.leaderboard.model import Leaderboard

#: leaderboard writers by format name: each takes a `Leaderboard` and returns the text
WRITERS = Registry("leaderboard format", error=ConfigError)
WRITERS.register("md", "rageval.leaderboard.tables:markdown")
WRITERS.register("html", "rageval.leaderboard.html:page")
WRITERS.register("csv", "rageval.leaderboard.tables:csv")
WRITERS.register("json", "rageval.leaderboard.tables:json_text")
WRITERS.register("latex", "rageval.leaderboard.tables:latex")
FORMATS = WRITERS.names()


def render(board: Leaderboard, fmt: str = "md") -> str:
    """The leaderboard as text in ``fmt``: one of `FORMATS`."""
    return WRITERS.get(fmt)(board)
