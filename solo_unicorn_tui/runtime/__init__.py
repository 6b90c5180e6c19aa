"""The local runtime: repositories, agent profiles, worktrees, sessions, dispatcher, recovery.

Headless: nothing here imports Textual.
The facade is :class:`solo_unicorn_tui.runtime.core.Runtime`.
"""
