"""claim fencing by holder as well as epoch, and fence tokens on the writes that end a run

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 06:40:00

PostgreSQL only; the client protocol gains one optional key. ``su_change_reason`` is replaced
(``CREATE OR REPLACE``). What a change is fenced by:

- its fence token, ``values -> 'claim_fence'`` = ``{"mission_id": m, "epoch": n, "workstation_id": w}``: the
  claim the write depends on. :class:`storage.changes.ChangeWriter` adds it to the session
  lifecycle writes (a session's rows, the mission moves its end causes). The key is not a column,
  so ``su_apply_table`` never stores it;
- else, as before 0012, a ``claim_epoch`` among the values of a ``missions`` or
  ``code_agent_sessions`` change, whose holder is the change's ``claimed_by_workstation_id``
  (missions) or ``workstation_id`` (sessions) when it carries one.

Against the server's claim (``mission_claims``) a fenced change is refused when its epoch is

- *older* than the claim's, unless the pushing site has held the claim without a break since that
  epoch (its own earlier stages; unchanged from 0003);
- *equal* to the claim's but held by another workstation (the hole before 0012: an offline claim
  takes epoch ``seen + 1``, and so does the online claim that beat it, so both runs carried
  epoch 1 and the loser's writes merged by clock);
- *newer* than the claim's (an epoch the server never granted: an offline claim) while another
  workstation holds a live claim.

The fence is checked before the clock-skew bound (0007, unchanged), so a stale holder's write
from a skewed clock is refused as stale, and a write refused for skew alone may be re-stamped
and pushed again (``sync.engine.push``) without escaping its fence.
"""

from __future__ import annotations

from alembic import op

from storage.hlc import clock_skew_reason_sql

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_HEAD = """
    CREATE OR REPLACE FUNCTION su_change_reason(p_org varchar, p_change jsonb, p_site text)
    RETURNS text
    LANGUAGE plpgsql STABLE
    AS $$
    DECLARE
        v_table text := p_change ->> 'table_name';
        v_row text := p_change ->> 'row_id';
        v_values jsonb := coalesce(p_change -> 'values', '{}'::jsonb);
        v_scope text;
        v_mission text;
        v_epoch bigint;
        v_holder text;
        v_claim record;
        v_skew text;
    BEGIN
        IF NOT EXISTS (SELECT 1 FROM sync_replicated_tables WHERE table_name = v_table) THEN
            RETURN format('unknown table %L', v_table);
        END IF;
        v_scope := CASE WHEN v_table = 'organizations' THEN v_row
                        ELSE p_change ->> 'organization_id' END;
        IF v_scope IS DISTINCT FROM p_org THEN
            RETURN format('row belongs to organization %L, this replica syncs %L',
                          v_scope, p_org);
        END IF;
"""

_FENCE = """
        IF v_table IN ('missions', 'code_agent_sessions') THEN
            v_mission := CASE WHEN v_table = 'missions' THEN v_row
                              ELSE coalesce(v_values ->> 'mission_id',
                                            v_values -> 'claim_fence' ->> 'mission_id') END;
            IF jsonb_typeof(v_values -> 'claim_fence') = 'object' THEN
                v_epoch := (v_values -> 'claim_fence' ->> 'epoch')::bigint;
                v_holder := v_values -> 'claim_fence' ->> 'workstation_id';
            ELSIF coalesce(v_values ->> 'claim_epoch', '0') NOT IN ('0', 'null') THEN
                v_epoch := (v_values ->> 'claim_epoch')::bigint;
                v_holder := CASE WHEN v_table = 'missions'
                                 THEN v_values ->> 'claimed_by_workstation_id'
                                 ELSE v_values ->> 'workstation_id' END;
            END IF;
            IF coalesce(v_epoch, 0) > 0 AND v_mission IS NOT NULL THEN
                SELECT epoch, site_id, site_since_epoch, workstation_id,
                       NOT released AND lease_expires_at > now() AS live
                INTO v_claim FROM mission_claims
                WHERE mission_id = v_mission AND organization_id = p_org;
                IF v_claim.epoch IS NULL THEN
                    NULL;  -- never claimed on the server: nothing to fence against
                ELSIF v_epoch < v_claim.epoch
                      AND NOT (v_claim.site_id = p_site
                               AND v_epoch >= v_claim.site_since_epoch) THEN
                    RETURN format('stale claim epoch %s for mission %s: the server''s claim is '
                                  'at epoch %s, taken over by another workstation since',
                                  v_epoch, v_mission, v_claim.epoch);
                ELSIF v_epoch = v_claim.epoch AND v_holder IS NOT NULL
                      AND v_holder IS DISTINCT FROM v_claim.workstation_id THEN
                    RETURN format('stale claim for mission %s: epoch %s is held on the server by '
                                  'workstation %s, not %s (an offline claim that lost)',
                                  v_mission, v_epoch, v_claim.workstation_id, v_holder);
                ELSIF v_epoch > v_claim.epoch AND v_claim.live AND v_holder IS NOT NULL
                      AND v_holder IS DISTINCT FROM v_claim.workstation_id THEN
                    RETURN format('claim epoch %s for mission %s was never granted: workstation '
                                  '%s holds the server''s claim (epoch %s)',
                                  v_epoch, v_mission, v_claim.workstation_id, v_claim.epoch);
                END IF;
            END IF;
        END IF;
"""

_SKEW = f"""
        v_skew := {clock_skew_reason_sql("(p_change ->> 'hlc')")};
        IF v_skew IS NOT NULL THEN
            RETURN v_skew;
        END IF;
"""

_TAIL = """
        RETURN NULL;
    END $$
"""

#: 0007's body (skew bound, then the epoch-only fence of 0003), for the downgrade.
_FENCE_0007 = """
        IF v_table IN ('missions', 'code_agent_sessions')
           AND coalesce(v_values ->> 'claim_epoch', '0') NOT IN ('0', 'null') THEN
            v_mission := CASE WHEN v_table = 'missions' THEN v_row
                              ELSE v_values ->> 'mission_id' END;
            v_epoch := (v_values ->> 'claim_epoch')::bigint;
            SELECT epoch, site_id, site_since_epoch INTO v_claim FROM mission_claims
            WHERE mission_id = v_mission AND organization_id = p_org;
            IF v_claim.epoch IS NOT NULL AND v_epoch < v_claim.epoch
               AND NOT (v_claim.site_id = p_site AND v_epoch >= v_claim.site_since_epoch) THEN
                RETURN format('stale claim epoch %s for mission %s: the server''s claim is at '
                              'epoch %s, taken over by another workstation since',
                              v_epoch, v_mission, v_claim.epoch);
            END IF;
        END IF;
"""


def _install(body: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(body)
    op.execute("REVOKE ALL ON FUNCTION su_change_reason(varchar, jsonb, text) FROM PUBLIC")


def upgrade() -> None:
    _install(_HEAD + _FENCE + _SKEW + _TAIL)


def downgrade() -> None:
    _install(_HEAD + _SKEW + _FENCE_0007 + _TAIL)
