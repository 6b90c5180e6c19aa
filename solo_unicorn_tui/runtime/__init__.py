"""The local runtime: agents, worktrees, sessions and dispatch. Never imports Textual."""
