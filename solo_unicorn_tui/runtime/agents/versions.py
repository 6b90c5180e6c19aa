"""Which version of each agent CLI is installed: ``PROGRAM --version`` run once, then cached.

The cache is keyed by the program's resolved path, size and modification time, in memory and in
``cache/agent-versions.json`` in the home folder, so ``agent list``, the panel and ``doctor``
do not start a Node program each time.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from solo_unicorn_tui.runtime.agents.profile import AgentProfile

_VERSION = re.compile(r"\b(\d+\.\d+\.\d+(?:[-+.][0-9A-Za-z.-]+)?)")
_memory: dict[str, str | None] = {}


def _key(path: str) -> str | None:
    try:
        real = os.path.realpath(path)
        info = os.stat(real)
    except OSError:
        return None
    return f"{real}:{info.st_size}:{int(info.st_mtime)}"


def _read_cache(cache: Path | None) -> dict[str, str]:
    if cache is None:
        return {}
    try:
        data = json.loads(cache.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in data.items() if isinstance(v, str)} if isinstance(data, dict) else {}


def run_version(executable: str, timeout: float = 30.0) -> str | None:
    """Run ``EXECUTABLE --version`` and pick the first x.y.z out of what it prints."""
    try:
        done = subprocess.run(
            [executable, "--version"],
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    found = _VERSION.search(done.stdout + "\n" + done.stderr)
    return found.group(1) if found else None


def detect_version(profile: AgentProfile, cache: Path | None = None) -> str | None:
    """The installed version of the profile's program (None: not found or no version)."""
    executable = profile.resolve_executable()
    if executable is None:
        return None
    key = _key(executable)
    if key is None:
        return None
    if key in _memory:
        return _memory[key]
    stored = _read_cache(cache)
    if key in stored:
        _memory[key] = stored[key]
        return stored[key]
    version = run_version(executable)
    _memory[key] = version
    if cache is not None and version is not None:
        stored[key] = version
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache.with_suffix(".tmp")
            tmp.write_text(json.dumps(stored, indent=1), encoding="utf-8")
            tmp.replace(cache)
        except OSError:
            pass
    return version


def parse(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", version.split("-", 1)[0])[:3])


def verdict(profile: AgentProfile, version: str | None) -> str | None:
    """``older``/``newer`` when ``version`` is outside the profile's verified range, else None."""
    if version is None or profile.verified_version is None:
        return None
    if parse(version) < parse(profile.verified_version):
        return "older"
    if profile.verified_below is not None and parse(version) >= parse(profile.verified_below):
        return "newer"
    return None


def verified_range(profile: AgentProfile) -> str:
    if profile.verified_version is None:
        return "unverified"
    upper = f", <{profile.verified_below}" if profile.verified_below else ""
    return f">={profile.verified_version}{upper}"


def cache_file(home_root: Path) -> Path:
    return home_root / "cache" / "agent-versions.json"


def detect_versions(profiles: Sequence[AgentProfile], cache: Path | None) -> dict[str, str | None]:
    """Each available agent CLI's installed version (the ``--version`` runs go in parallel).

    Only profiles of a known CLI type: a ``command`` profile's program is anything at all, and
    running it with ``--version`` might do something else entirely.
    """
    available = [p for p in profiles if p.type != "command" and p.available]
    if not available:
        return {}
    with ThreadPoolExecutor(max_workers=4) as pool:
        found = list(pool.map(lambda p: detect_version(p, cache), available))
    return {p.name: v for p, v in zip(available, found, strict=True)}
