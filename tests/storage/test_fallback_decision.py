"""The policy of a Mission Fallback check, one test per reason (no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage.fallback import FallbackDecision, TriggeredBy, decide_fallback, fallback_gate
from storage.models import MissionFallbackConfig

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def _config(**values: object) -> MissionFallbackConfig:
    fields: dict[str, object] = {
        "backlog_threshold": 5,
        "check_cadence_minutes": 15,
        "auto_accept": False,
        "weekly_mission_cap": 20,
        "status": "active",
        "last_run_at": None,
    }
    fields.update(values)
    return MissionFallbackConfig(**fields)


def _decide(
    config: MissionFallbackConfig | None = None,
    *,
    backlog: int = 2,
    outstanding: int = 0,
    accepted_this_week: int = 0,
    enabled_templates: int = 2,
    triggered_by: TriggeredBy = "automatic",
) -> FallbackDecision:
    return decide_fallback(
        config or _config(),
        backlog=backlog,
        outstanding=outstanding,
        accepted_this_week=accepted_this_week,
        enabled_templates=enabled_templates,
        now=NOW,
        triggered_by=triggered_by,
    )


def test_ok_proposes_what_the_backlog_lacks() -> None:
    assert _decide() == FallbackDecision(3, "backlog 2 below 5: proposed 3")


def test_ok_with_auto_accept_says_created() -> None:
    assert _decide(_config(auto_accept=True)).reason == "backlog 2 below 5: created 3"


def test_paused() -> None:
    assert _decide(_config(status="paused")) == FallbackDecision(0, "fallback is paused")


def test_backlog_at_the_threshold() -> None:
    decision = _decide(backlog=5)
    assert decision == FallbackDecision(0, "backlog 5 is not below the threshold 5")


def test_cadence_not_due_for_an_automatic_check() -> None:
    last = NOW - timedelta(minutes=5)
    decision = _decide(_config(last_run_at=last))
    assert decision == FallbackDecision(0, "last run 11:55; next after 12:10 UTC")


def test_cadence_due_and_manual_checks_ignore_it() -> None:
    assert _decide(_config(last_run_at=NOW - timedelta(minutes=15))).count == 3
    recent = _config(last_run_at=NOW - timedelta(minutes=1))
    assert _decide(recent, triggered_by="manual").count == 3


def test_no_enabled_templates() -> None:
    decision = _decide(enabled_templates=0)
    assert decision == FallbackDecision(0, "no enabled fallback templates")


def test_weekly_cap_reached() -> None:
    decision = _decide(accepted_this_week=20)
    assert decision == FallbackDecision(0, "weekly cap of 20 fallback missions reached")


def test_weekly_cap_limits_the_count() -> None:
    assert _decide(accepted_this_week=19) == FallbackDecision(1, "backlog 2 below 5: proposed 1")


def test_proposals_outstanding() -> None:
    decision = _decide(outstanding=3)
    assert decision == FallbackDecision(0, "enough proposals are waiting for a decision")
    assert _decide(outstanding=1).count == 2


def test_the_gate_answers_without_counts_and_decide_agrees() -> None:
    assert fallback_gate(_config(), backlog=2, now=NOW) is None
    paused = _config(status="paused")
    assert fallback_gate(paused, backlog=2, now=NOW) == _decide(paused)
    assert fallback_gate(_config(), backlog=9, now=NOW) == _decide(backlog=9)
