"""Token usage and cost, read from what an agent prints.

Claude Code (``--output-format json`` or ``stream-json``) ends with a ``{"type": "result"}``
object carrying ``usage`` and ``total_cost_usd``. Codex (``exec --json``) prints a
``{"type": "turn.completed", "usage": {…}}`` line per turn, without a cost. Agents that report
nothing leave every figure ``None`` — "unknown", never a guess.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

MAX_JSON_LINE = 1_000_000


@dataclass(frozen=True)
class Usage:
    input_tokens: int | None = None
    output_tokens: int | None = None
    cost_usd: float | None = None

    @property
    def known(self) -> bool:
        return any(v is not None for v in (self.input_tokens, self.output_tokens, self.cost_usd))


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


class UsageParser:
    """Feed it every output line; ask :meth:`usage` at the end."""

    def __init__(self) -> None:
        self._claude: Usage | None = None
        self._codex_in = 0
        self._codex_out = 0
        self._codex_turns = 0

    def feed(self, line: str) -> None:
        text = line.strip()
        if not text.startswith("{") or len(text) > MAX_JSON_LINE:
            return
        try:
            data = json.loads(text)
        except ValueError:
            return
        if not isinstance(data, dict):
            return
        usage = data.get("usage")
        if data.get("type") == "result" and ("usage" in data or "total_cost_usd" in data):
            tokens = usage if isinstance(usage, dict) else {}
            cost = data.get("total_cost_usd", data.get("cost_usd"))
            self._claude = Usage(
                input_tokens=_int(tokens.get("input_tokens"))
                + _int(tokens.get("cache_creation_input_tokens"))
                + _int(tokens.get("cache_read_input_tokens"))
                if tokens
                else None,
                output_tokens=_int(tokens.get("output_tokens")) if tokens else None,
                cost_usd=float(cost) if isinstance(cost, int | float) else None,
            )
        elif data.get("type") == "turn.completed" and isinstance(usage, dict):
            self._codex_in += _int(usage.get("input_tokens"))
            self._codex_out += _int(usage.get("output_tokens")) + _int(
                usage.get("reasoning_output_tokens")
            )
            self._codex_turns += 1

    def usage(self) -> Usage:
        if self._claude is not None:
            return self._claude
        if self._codex_turns:
            return Usage(self._codex_in, self._codex_out, None)
        return Usage()
