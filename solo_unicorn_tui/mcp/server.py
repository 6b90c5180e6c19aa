"""``solo-unicorn mcp``: the MCP server an agent session talks to, over stdio.

Built on the official SDK's high-level server (``mcp.server.mcpserver.MCPServer``, the 2.x name
of FastMCP). Each tool is a thin wrapper over :mod:`solo_unicorn_tui.mcp.tools`; a refused or
invalid call becomes an ``isError`` result with one line, never a crashed server. Standard
output is the protocol channel: logging goes to the app log (set up before the SDK's own
``basicConfig`` would add a stderr handler).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal, ParamSpec, TypeVar

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
from mcp.types import ToolAnnotations
from pydantic import Field
from pydantic import ValidationError as ArgumentsError

from solo_unicorn_tui import __version__
from solo_unicorn_tui.errors import UserError
from solo_unicorn_tui.mcp import tools
from solo_unicorn_tui.mcp.tools import Binding
from storage.errors import StorageError

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
    """Turns the SDK's multi-line argument-validation errors into one line."""

    async def call_tool(self, name: str, arguments: dict[str, Any], context: Any = None) -> Any:
        try:
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


def build_server(binding: Binding) -> MCPServer[Any]:
    server = SoloUnicornServer(
        SERVER_NAME, version=__version__, instructions=INSTRUCTIONS, log_level="WARNING"
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
    await server.run_stdio_async()
