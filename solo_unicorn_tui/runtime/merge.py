"""Merging a mission branch into its target on this machine, all or nothing.

Before anything moves, ``git merge-tree --write-tree`` computes the merge in the object store
alone: a conflict is refused with the files it is in, and nothing is touched. Where the target
branch is checked out (the main checkout, or another worktree) that checkout must be clean, and
the merge runs there (``--no-ff``; any failure is aborted, so no half-merge stays); where it is
checked out nowhere, the merge commit is written from that tree and the branch moved with a
compare-and-swap ``update-ref``, so no working tree is touched at all.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from solo_unicorn_tui.errors import UserError
from solo_unicorn_tui.runtime.git_repos import require_git

FALLBACK_IDENTITY = ["-c", "user.name=solo-unicorn", "-c", "user.email=solo-unicorn@localhost"]


class MergeRefused(UserError):
    """The merge would conflict, or the target's checkout holds uncommitted work."""


@dataclass(frozen=True)
class Merged:
    target: str
    commit: str
    commits: int
    """How many of the branch's commits the target gained."""
    checkout: Path | None
    """Where the target is checked out (updated by the merge), None when nowhere."""


def _git(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [require_git(), *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def _ok(cwd: Path, *args: str) -> str:
    done = _git(cwd, *args)
    if done.returncode != 0:
        reason = (done.stderr or done.stdout).strip().splitlines()
        raise UserError(f"git {args[0]} failed: {reason[-1] if reason else done.returncode}")
    return done.stdout.strip()


def _identity(cwd: Path) -> list[str]:
    return [] if _git(cwd, "config", "user.email").stdout.strip() else FALLBACK_IDENTITY


def checkout_of(repo: Path, branch: str) -> Path | None:
    """The worktree (main checkout included) that has ``branch`` checked out, if any."""
    listing = _ok(repo, "worktree", "list", "--porcelain")
    path: Path | None = None
    for line in listing.splitlines():
        if line.startswith("worktree "):
            path = Path(line.removeprefix("worktree "))
        elif line == f"branch refs/heads/{branch}":
            return path
    return None


def merge_branch(repo: Path, branch: str, target: str, message: str) -> Merged:
    """Merge ``branch`` into ``target`` in ``repo`` (see the module notes); refusals raise
    :class:`MergeRefused` with what to do, and leave every ref and checkout as they were."""
    for name in (branch, target):
        if _git(repo, "rev-parse", "--verify", "--quiet", f"refs/heads/{name}").returncode:
            raise UserError(f"there is no local branch {name!r} in {repo}")
    commits = int(_ok(repo, "rev-list", "--count", f"{target}..{branch}"))
    if commits == 0:
        raise MergeRefused(f"{target} already has every commit of {branch}: nothing to merge")
    checkout = checkout_of(repo, target)
    if checkout is not None:
        dirty = _ok(checkout, "status", "--porcelain", "--untracked-files=no")
        if dirty:
            raise MergeRefused(
                f"{target} is checked out in {checkout} with uncommitted changes; commit or "
                "stash them there, then merge again"
            )
    trial = _git(repo, "merge-tree", "--write-tree", "--name-only", "--no-messages", target, branch)
    if trial.returncode == 1:
        files = [f for f in trial.stdout.splitlines()[1:] if f.strip()]
        shown = ", ".join(files[:5]) + (f" and {len(files) - 5} more" if len(files) > 5 else "")
        raise MergeRefused(
            f"merging {branch} into {target} conflicts in {shown or 'some files'}; nothing was "
            "merged. Resolve it by hand in the worktree (t opens a shell there), then merge again"
        )
    if trial.returncode != 0:
        raise UserError(f"git merge-tree failed: {trial.stderr.strip()[:300]}")
    tree = trial.stdout.splitlines()[0].strip()
    if checkout is not None:
        done = _git(checkout, *_identity(checkout), "merge", "--no-ff", "-m", message, branch)
        if done.returncode != 0:
            _git(checkout, "merge", "--abort")
            reason = (done.stderr or done.stdout).strip().splitlines()
            raise MergeRefused(
                f"git merge in {checkout} failed and was undone: "
                f"{reason[-1] if reason else done.returncode}"
            )
        return Merged(target, _ok(checkout, "rev-parse", "HEAD"), commits, checkout)
    old = _ok(repo, "rev-parse", f"refs/heads/{target}")
    tip = _ok(repo, "rev-parse", f"refs/heads/{branch}")
    commit = _ok(repo, *_identity(repo), "commit-tree", tree, "-p", old, "-p", tip, "-m", message)
    _ok(
        repo,
        "update-ref",
        "-m",
        f"solo-unicorn: merge {branch}",
        f"refs/heads/{target}",
        commit,
        old,
    )
    return Merged(target, commit, commits, None)
