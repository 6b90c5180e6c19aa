"""Pure pieces of the runtime: line splitting, names, profiles, prompts, stage advance."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from solo_unicorn_tui.errors import UserError
from solo_unicorn_tui.runtime.agent_process import LineSplitter, agent_environment
from solo_unicorn_tui.runtime.agent_profiles import AgentProfile, AgentProfiles
from solo_unicorn_tui.runtime.worktrees import branch_name, safe_slug, worktree_path


@given(st.lists(st.binary(max_size=50), max_size=30), st.integers(min_value=1, max_value=16))
def test_line_splitter_keeps_every_byte_and_bounds_lines(chunks, limit):
    splitter = LineSplitter(limit)
    lines = [line for chunk in chunks for line in splitter.feed(chunk)] + splitter.flush()
    assert all(len(line) <= limit for line in lines)
    data = b"".join(chunks).replace(b"\r\n", b"\n")
    assert b"".join(lines).replace(b"\r", b"") == data.replace(b"\n", b"").replace(b"\r", b"")


def test_line_splitter_splits_lines():
    splitter = LineSplitter(4)
    assert splitter.feed(b"ab\ncdefgh\nij") == [b"ab", b"cdef", b"gh"]
    assert splitter.feed(b"kl\n\r\nxy") == [b"ijkl", b""]
    assert splitter.flush() == [b"xy"]


@given(st.text(max_size=200))
def test_branch_and_path_are_always_safe(title):
    branch = branch_name("mission_01J0000000000000000000ABCD", title)
    assert branch.startswith("solo-unicorn/abcd-") or branch.startswith("solo-unicorn/")
    assert all(c.isascii() and (c.isalnum() or c in "-/") for c in branch)
    assert ".." not in branch and not branch.endswith(("-", "/"))
    root = Path("/tmp/ws")
    assert worktree_path(root, title or "repo", branch).parent == root.resolve()


def test_slug_of_hostile_text():
    assert safe_slug("../../etc; rm -rf ~") == "etc-rm-rf"
    assert safe_slug("....") == "mission"
    assert safe_slug("Café déjà vu") == "cafe-deja-vu"


def test_profile_placeholders_never_split_arguments():
    profile = AgentProfile(name="x", argv=["tool", "--msg={prompt}", "{worktree}"])
    argv = profile.render_argv({"prompt": "a b; rm -rf ~", "worktree": "/w t"})
    assert argv == ["tool", "--msg=a b; rm -rf ~", "/w t"]


def test_profiles_file_roundtrip_and_errors(home):
    home.ensure()
    profiles = AgentProfiles.load(home)
    profiles.add(AgentProfile(name="mine", argv=["python3"]), make_default=True)
    profiles.save()
    again = AgentProfiles.load(home)
    assert again.default().name == "mine" and again.get("claude").builtin
    with pytest.raises(UserError, match="built-in"):
        again.remove("claude")
    home.agents_file.write_text("{not json")
    with pytest.raises(UserError, match="not valid JSON"):
        AgentProfiles.load(home)
    home.agents_file.write_text('{"agents": [{"name": "bad name!", "argv": ["x"]}]}')
    with pytest.raises(UserError, match="agent #1"):
        AgentProfiles.load(home)


def test_environment_is_minimal(monkeypatch):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x")
    monkeypatch.setenv("RANDOM_THING", "y")
    env = agent_environment({"FOO": "1", "SOLO_UNICORN_DB_PASSWORD": "p"}, {"BAR": "2"})
    assert env["FOO"] == "1" and env["BAR"] == "2" and "PATH" in env
    assert not {"AWS_SECRET_ACCESS_KEY", "RANDOM_THING", "SOLO_UNICORN_DB_PASSWORD"} & set(env)
