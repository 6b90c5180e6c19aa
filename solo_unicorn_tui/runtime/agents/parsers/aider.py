"""aider with ``--no-pretty``: plain text, read line by line.

- ``Tokens: 2.3k sent, 1.1k cache hit, 14 received. Cost: $0.01 message, $0.02 session.``
  → usage per message (aider rounds counts of 1000 and more to ``1.2k``/``12k``; the numbers
  are what it says). For ``openai/`` models what was "sent" already includes the cache hits.
- ``Applied edit to FILE`` → a tool call ``edit FILE``; ``Commit abc1234 message`` → ``git
  commit``.
- ``litellm.RateLimitError: …`` (HTTP 429, "quota exceeded", "usage limit") → a rate limit;
  other ``litellm.…Error`` lines → an error.
- Other lines are the model's words, minus the banner and the fenced file bodies it echoes.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from solo_unicorn_tui.runtime.agents.events import (
    AgentError,
    AgentEvent,
    AssistantText,
    ToolCall,
    UsageReport,
)
from solo_unicorn_tui.runtime.agents.parsers import short
from solo_unicorn_tui.runtime.agents.rate_limits import rate_limit_in

_TOKENS = re.compile(r"^Tokens:\s+(?P<body>.+?received)\.(?:\s+Cost:\s+(?P<cost>.+))?$")
_COUNT = re.compile(r"([\d.]+)(k?)\s+(sent|received|cache write|cache hit)")
_MESSAGE_COST = re.compile(r"\$([\d.]+)\s+message")
_APPLIED = re.compile(r"^Applied edit to (.+)$")
_COMMIT = re.compile(r"^Commit ([0-9a-f]{7,40}) (.+)$")
_LITELLM_ERROR = re.compile(r"^litellm\.(\w+Error|\w+Exception)\b:?\s*(.*)$")
_BANNER = (
    "Aider v",
    "Model:",
    "Weak model:",
    "Editor model:",
    "Git repo:",
    "Repo-map:",
    "Main model:",
    "https://aider.chat/",
    "Analytics have been",
    "Update git name",
    "Update git email",
    "Warning:",
    "Added ",
    "Use /help",
    "Retrying in ",
    "The API provider has rate limited you",
    "HTTPSConnectionPool(",
)


def token_count(number: str, thousands: str) -> int:
    return round(float(number) * (1000 if thousands else 1))


class Parser:
    def __init__(self, now: datetime | None = None) -> None:
        self._now = now
        self._in_fence = False
        self._error: list[str] = []
        """A litellm error being read: aider wraps it over several lines."""

    def feed(self, line: str) -> list[AgentEvent]:
        stripped = line.strip()
        if self._error:
            if stripped and not stripped.startswith(_BANNER) and not _LITELLM_ERROR.match(stripped):
                self._error.append(stripped)
                return []
            return [*self._flush_error(), *self._line(stripped)]
        return self._line(stripped)

    def _flush_error(self) -> list[AgentEvent]:
        text = " ".join(self._error)
        self._error = []
        match = _LITELLM_ERROR.match(text)
        assert match is not None
        limit = rate_limit_in(text, self._now or datetime.now(UTC))
        if limit is not None:
            return [limit]
        return [AgentError(short(f"{match.group(1)}: {match.group(2)}", 500))]

    def _line(self, stripped: str) -> list[AgentEvent]:
        if stripped.startswith("```"):
            self._in_fence = not self._in_fence
            return []
        if self._in_fence or not stripped:
            return []
        if (match := _TOKENS.match(stripped)) is not None:
            return [self._usage(match.group("body"), match.group("cost"))]
        if (match := _APPLIED.match(stripped)) is not None:
            return [ToolCall("edit", short(match.group(1)))]
        if (match := _COMMIT.match(stripped)) is not None:
            return [ToolCall("git commit", short(f"{match.group(1)} {match.group(2)}"))]
        if _LITELLM_ERROR.match(stripped):
            self._error = [stripped]
            return []
        if stripped.startswith(_BANNER):
            return []
        return [AssistantText(stripped)]

    @staticmethod
    def _usage(body: str, cost: str | None) -> UsageReport:
        counts = {kind: token_count(n, k) for n, k, kind in _COUNT.findall(body)}
        price = _MESSAGE_COST.search(cost or "")
        return UsageReport(
            input_tokens=counts.get("sent"),
            output_tokens=counts.get("received"),
            cached_input_tokens=counts.get("cache hit"),
            cost_usd=float(price.group(1)) if price else None,
        )

    def finish(self) -> list[AgentEvent]:
        return self._flush_error() if self._error else []
