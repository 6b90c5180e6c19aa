"""A server URL without a host is refused with one line (never the local default server)."""

from __future__ import annotations

import pytest

from sync.connection import connect
from sync.errors import SyncError


@pytest.mark.parametrize("url", ["postgresql:///solo", "postgresql://someone@/solo"])
async def test_a_url_without_a_host_is_refused(url: str) -> None:
    with pytest.raises(SyncError, match="names no host") as error:
        await connect(url, None)
    assert "\n" not in str(error.value)


def test_a_url_without_a_host_is_one_line_in_the_cli(cli, home) -> None:  # type: ignore[no-untyped-def]
    done = cli("sync", env={"SOLO_UNICORN_SERVER_URL": "postgresql:///solo"})
    assert done.returncode == 1
    assert "names no host" in done.stderr and done.stderr.count("\n") == 1
    assert "Traceback" not in done.stderr
