"""``solo-unicorn mcp``: the MCP server an agent session talks to, over stdio.

Built on the official SDK's high-level server (``mcp.server.mcpserver.MCPServer``, the 2.x name
of FastMCP). Each tool is a thin wrapper over :mod:`solo_unicorn_tui.mcp.tools`; a refused or
invalid call becomes an ``isError`` result with one line, never a crashed server. Standard
output is the protocol channel: logging goes to the app log (set up before the SDK's own
``basicConfig`` would add a stderr handler).

The handshake (``initialize``, ``tools/list``) needs only the SDK and the tools' signatures:
:mod:`~solo_unicorn_tui.mcp.tools` (SQLAlchemy, the ORM) is imported, and the replica opened,
in the background once the agent has listed the tools, or at the first call.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import importlib
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, Any, Literal, ParamSpec, TypeVar

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
from mcp.types import ToolAnnotations
from pydantic import Field
from pydantic import ValidationError as ArgumentsError

from solo_unicorn_tui import __version__
from solo_unicorn_tui.errors import UserError
from solo_unicorn_tui.mcp.binding import Binding
from storage.errors import StorageError

TOOLS_MODULE = "solo_unicorn_tui.mcp.tools"

if TYPE_CHECKING:
    from mcp.types import Tool

    from solo_unicorn_tui.mcp import tools
else:

    class _Tools:
        """:mod:`solo_unicorn_tui.mcp.tools`, imported at its first use, not with this module."""

        def __getattr__(self, name: str) -> Any:
            return getattr(importlib.import_module(TOOLS_MODULE), name)

    tools = _Tools()

log = logging.getLogger(__name__)

SERVER_NAME = "solo-unicorn"
P = ParamSpec("P")
R = TypeVar("R")

MissionId = Annotated[
    str | None,
    Field(
        description="Leave out: the session's own mission. Another mission is refused "
        "(and any mission outside this project)."
    ),
]
ListName = Literal["todo", "doing", "review", "done"]

# Field names, not their camelCase aliases: mypy sees only the names (populate_by_name is on).
READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, open_world_hint=False)
WRITES = ToolAnnotations(read_only_hint=False, destructive_hint=False, open_world_hint=False)


def _one_line(error: ArgumentsError) -> str:
    parts = []
    for problem in error.errors():
        where = ".".join(str(p) for p in problem["loc"]) or "arguments"
        parts.append(f"{where}: {problem['msg']}")
    return "invalid arguments: " + "; ".join(parts)


class SoloUnicornServer(MCPServer[Any]):
    """Opens the binding before a tool or resource runs (and in the background once the tools
    are listed); turns the SDK's multi-line argument-validation errors into one line."""

    def __init__(self, binding: Binding, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.binding = binding
        self._warming: asyncio.Task[None] | None = None

    async def _warm(self) -> None:
        try:
            # In a thread: the import takes the GIL in slices, the loop keeps answering.
            await asyncio.to_thread(importlib.import_module, TOOLS_MODULE)
            await self.binding.open()
        except Exception:
            log.exception("opening the replica in the background failed (retried at a call)")

    async def stop_warming(self) -> None:
        """Cancel a background open still under way (the agent has gone)."""
        if self._warming is not None:
            self._warming.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._warming

    async def list_tools(self) -> list[Tool]:
        listed = await super().list_tools()
        if self._warming is None:
            self._warming = asyncio.create_task(self._warm())
        return listed

    async def read_resource(self, uri: Any, context: Any = None) -> Any:
        await self.binding.open()
        return await super().read_resource(uri, context)

    async def call_tool(self, name: str, arguments: dict[str, Any], context: Any = None) -> Any:
        try:
            await self.binding.open()
            return await super().call_tool(name, arguments, context)
        except UnexpectedToolError:
            raise
        except ToolError as error:
            if isinstance(error.__cause__, ArgumentsError):
                raise ToolError(
                    f"Error executing tool {name}: {_one_line(error.__cause__)}"
                ) from error.__cause__
            raise


def _guarded(call: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """A domain failure (bad input, a refusal, a missing mission) becomes a tool error."""

    @functools.wraps(call)
    async def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await call(*args, **kwargs)
        except (UserError, StorageError) as error:
            raise ToolError(str(error)) from None

    return run


INSTRUCTIONS = (
    "The Solo Unicorn board of one project. Report your work on your mission with "
    "report_solution, report_tasks and report_clarification (they replace running "
    "`solo-unicorn mission update` in a shell); read it with mission_context; ask a person "
    "with ask_question when you cannot go on without an answer (the mission waits for it); "
    "suggest "
    "follow-up work with propose_mission (a person triages it); browse with list_missions and "
    "show_mission."
)


def build_server(binding: Binding) -> SoloUnicornServer:
    server = SoloUnicornServer(
        binding, SERVER_NAME, version=__version__, instructions=INSTRUCTIONS, log_level="WARNING"
    )

    @server.tool(annotations=READ_ONLY)
    @_guarded
    async def mission_context(mission_id: MissionId = None) -> str:
        """The mission you work on: its stage and the stage's instructions, the mission text
        and clarification, project memory, solution and tasks so far, review feedback, the last
        failure and what blocks it (markdown)."""
        return await tools.mission_context(binding, mission_id)

    @server.tool(annotations=WRITES)
    @_guarded
    async def report_solution(
        text: Annotated[str, Field(description="The solution or plan, as markdown.")],
        mission_id: MissionId = None,
    ) -> str:
        """Store the mission's solution (replaces the previous one); a person sees it on the
        board at once."""
        return await tools.report_solution(binding, text, mission_id)

    @server.tool(annotations=WRITES)
    @_guarded
    async def report_tasks(
        tasks: Annotated[
            str | list[str | dict[str, str]],
            Field(
                description="Markdown (split at its top headings, or else at its list items), "
                'or a list of task texts or {"title", "text"} objects.'
            ),
        ],
        mission_id: MissionId = None,
    ) -> str:
        """Store the mission's tasks, numbered in order (replaces the previous list)."""
        return await tools.report_tasks(binding, tasks, mission_id)

    @server.tool(annotations=WRITES)
    @_guarded
    async def report_clarification(
        text: Annotated[
            str,
            Field(description="What you understood the mission to ask; answers you found."),
        ],
        mission_id: MissionId = None,
    ) -> str:
        """Store the mission's clarified requirements (replaces the previous text)."""
        return await tools.report_clarification(binding, text, mission_id)

    @server.tool(annotations=WRITES)
    @_guarded
    async def ask_question(
        question: Annotated[str, Field(description="The question for a person.")],
        mission_id: MissionId = None,
    ) -> str:
        """Ask a person a question and park the mission in Review until they answer; end the
        session after asking: the answer comes in the next prompt of this stage."""
        return await tools.ask_question(binding, question, mission_id)

    @server.tool(annotations=WRITES)
    @_guarded
    async def propose_mission(
        title: Annotated[str, Field(description="A short title (one line).")],
        description: Annotated[
            str | None, Field(description="What the follow-up mission should do and why.")
        ] = None,
        priority: Annotated[int, Field(description="1 (lowest) to 5 (highest).")] = 3,
        mission_id: MissionId = None,
    ) -> dict[str, Any]:
        """Propose a follow-up mission: it is created in Todo, not ready, linked to your
        mission; a person decides whether and when it runs."""
        return await tools.propose_mission(binding, title, description, priority, mission_id)

    @server.tool(annotations=READ_ONLY)
    @_guarded
    async def list_missions(
        list: Annotated[ListName | None, Field(description="Only this list.")] = None,
        limit: Annotated[int, Field(description="Missions per page, 1 to 100.")] = 50,
        after: Annotated[
            str | None, Field(description="The next_after of the previous page.")
        ] = None,
    ) -> dict[str, Any]:
        """This project's missions in board order (Todo, Doing, Review, Done), a page at a
        time."""
        return await tools.list_missions(binding, list, limit, after)

    @server.tool(annotations=READ_ONLY)
    @_guarded
    async def show_mission(
        mission_id: Annotated[str, Field(description="A mission id (or a unique suffix).")],
    ) -> dict[str, Any]:
        """One mission of this project: its fields, documents, blockers and latest events."""
        return await tools.show_mission(binding, mission_id)

    if binding.mission_id is not None:
        base = f"solo-unicorn://missions/{binding.mission_id}"

        @server.resource(
            f"{base}/solution", name="solution", mime_type="text/markdown", title="Solution"
        )
        async def solution() -> str:
            return await tools.solution_document(binding)

        @server.resource(f"{base}/tasks", name="tasks", mime_type="text/markdown", title="Tasks")
        async def tasks() -> str:
            return await tools.tasks_document(binding)

    return server


async def serve(binding: Binding) -> None:
    """Serve one client on stdin/stdout until it closes the connection."""
    server = build_server(binding)
    log.info("MCP server for project %s, mission %s", binding.project_id, binding.mission_id or "-")
    try:
        await server.run_stdio_async()
    finally:
        await server.stop_warming()
        await binding.close()
