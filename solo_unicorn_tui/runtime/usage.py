"""Token usage and cost of one session, as the agent reported it.

The figures come from the agent's own events (``runtime.agents.parsers``): a cumulative report
(claude's and gemini's ``result``) replaces what came before, per-turn reports add up. Agents
that report nothing leave every figure ``None`` — "unknown", never a guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from solo_unicorn_tui.runtime.agents.events import UsageReport

T = TypeVar("T", int, float)


@dataclass(frozen=True)
class Usage:
    input_tokens: int | None = None
    """Every input token, cached ones included."""
    output_tokens: int | None = None
    cost_usd: float | None = None
    cached_input_tokens: int | None = None
    """How many of the input tokens were read from the provider's cache."""

    @property
    def known(self) -> bool:
        return any(v is not None for v in (self.input_tokens, self.output_tokens, self.cost_usd))

    def add(self, report: UsageReport) -> Usage:
        """This usage after ``report``: replaced by a cumulative one, else summed."""
        if report.cumulative:
            return Usage(
                report.input_tokens,
                report.output_tokens,
                report.cost_usd,
                report.cached_input_tokens,
            )
        return Usage(
            _sum(self.input_tokens, report.input_tokens),
            _sum(self.output_tokens, report.output_tokens),
            _sum(self.cost_usd, report.cost_usd),
            _sum(self.cached_input_tokens, report.cached_input_tokens),
        )


def _sum(a: T | None, b: T | None) -> T | None:
    if a is None:
        return b
    return a if b is None else a + b
