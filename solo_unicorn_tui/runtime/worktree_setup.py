"""Making a fresh worktree buildable: copy ignored files in, run the set-up script.

Worktrees only contain tracked files, so ``.env`` files, local config and the like are missing
and the build fails. Repositories list glob patterns (their ``copy_files`` setting, plus a
``.worktreeinclude`` file in the main checkout) of files to copy from the main checkout, and an
optional set-up command (an argv list) run once in each new worktree.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
from collections.abc import Iterable
from pathlib import Path

INCLUDE_FILE = ".worktreeinclude"
DEFAULT_SCRIPT_TIMEOUT = 600.0


class SetupError(Exception):
    """A set-up step failed; the message says which and shows the end of its output."""


def include_patterns(main_path: Path, configured: Iterable[str] | None) -> list[str]:
    patterns = [p.strip() for p in configured or [] if p.strip()]
    include = main_path / INCLUDE_FILE
    if include.is_file():
        for line in include.read_text(encoding="utf-8", errors="replace").splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                patterns.append(line)
    return list(dict.fromkeys(patterns))


def _inside(root: Path, candidate: Path) -> bool:
    try:
        candidate.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return True


def copy_included_files(main_path: Path, worktree: Path, patterns: Iterable[str]) -> list[str]:
    """Copy files matching ``patterns`` from the main checkout; return their relative paths.

    Files already in the worktree (tracked ones) are left alone; nothing outside the main
    checkout is read (``..`` and symlinks pointing out are skipped); ``.git`` is never copied.
    """
    copied: list[str] = []
    for pattern in patterns:
        if pattern.startswith("/"):
            pattern = pattern.lstrip("/")
        if ".." in Path(pattern).parts:
            continue
        for source in sorted(main_path.glob(pattern)):
            relative = source.relative_to(main_path)
            if ".git" in relative.parts or not _inside(main_path, source):
                continue
            files = [p for p in source.rglob("*") if p.is_file()] if source.is_dir() else [source]
            for file in files:
                if not _inside(main_path, file):
                    continue
                rel = file.relative_to(main_path)
                target = worktree / rel
                if target.exists() or not _inside(worktree, target.parent):
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(file, target)
                copied.append(rel.as_posix())
    return copied


async def run_script(
    argv: list[str],
    cwd: Path,
    log_file: Path,
    *,
    name: str = "setup_script",
    env: dict[str, str] | None = None,
    timeout: float = DEFAULT_SCRIPT_TIMEOUT,
) -> None:
    """Run a set-up or clean-up command in ``cwd``, appending its output to ``log_file``."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("ab") as log:
        log.write(f"$ {name}: {' '.join(argv)}\n".encode())
        log.flush()
        try:
            process = await asyncio.create_subprocess_exec(
                *argv,
                cwd=cwd,
                env=env if env is not None else dict(os.environ),
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as error:
            raise SetupError(f"{name} {argv[0]!r} could not start: {error.strerror}") from None
        try:
            code = await asyncio.wait_for(process.wait(), timeout)
        except TimeoutError:
            os.killpg(process.pid, signal.SIGKILL)
            await process.wait()
            raise SetupError(f"{name} timed out after {timeout:g} s") from None
    if code != 0:
        tail = log_file.read_bytes()[-400:].decode(errors="replace").strip().splitlines()
        raise SetupError(f"{name} exited with {code}: {' | '.join(tail[-3:])}")
