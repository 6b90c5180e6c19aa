"""server isolation: member roles, row-level security, sync through database functions

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 09:00:00

PostgreSQL only (a no-op on the SQLite replica, like 0002).

Roles. The role that runs ``server upgrade`` owns every table and function: it is the
*administrator* (so is any superuser, or any role that is a member of the owner). Each team
member connects with a login role of its own, created by ``solo-unicorn server invite``; the
table ``sync_members`` (owned by the administrator, invisible to members) maps each role to one
organization. Member roles belong to one NOLOGIN group role, created at the first invite and
named in ``sync_server_info`` (key ``member_group``); the group holds every privilege a member
has: EXECUTE on the member functions below, and SELECT on the replicated and sync tables, where
row-level security shows only the rows of the role's organization. No member has INSERT,
UPDATE or DELETE on any table.

Functions. Push (``su_push``, ``su_reject``), pull (``su_pull_window``, ``su_pull_rows``) and
claims (``su_claim``, ``su_renew``, ``su_release``) are ``SECURITY DEFINER`` plpgsql functions
with a fixed ``search_path``. They take the organization from the connecting role
(``session_user`` → ``sync_members``), never from their arguments. Only an administrator may
choose the organization of its session (``su_use_organization``), which keeps a single-role
server working as before: its role syncs the organization its replica holds. When this
migration finds exactly one organization on the server, it maps the upgrading role to it.

The merge rule is ``su_merge_columns``/``su_row_stamp``, the SQL twin of ``sync.merge``: per
column, the greater HLC text wins (compared with ``COLLATE "C"``, i.e. by code point like
Python), the site id being the clock's last field. The tests check both against one table of
cases (``tests/sync/merge_cases.py``).

NOTIFY. ``LISTEN`` is not permission-checked in PostgreSQL: any role can listen on any channel
name. So each organization gets an unguessable channel (``sync_org_seq.notify_channel``,
``su_`` + 128 random bits from ``gen_random_uuid()``, PostgreSQL 13+), handed only to its own
roles by ``su_whoami``, and the payload is empty: a pull is the only way to learn what changed.

Internal helpers (``su_merge_step``, ``su_apply_table``, …) are SECURITY INVOKER, executable by
no one but the owner, and run inside ``su_push`` under its fixed ``search_path``.

Extension points for later revisions: ``su_change_reason`` (validation of one change, e.g. clock
bounds) and the ``p_options``/jsonb results of ``su_claim`` (stage-aware claims) can be
replaced with ``CREATE OR REPLACE`` without changing the client protocol; function-level
``SET lock_timeout`` / ``statement_timeout`` can be added the same way.
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

#: The replicated tables at this revision (a snapshot: later revisions add their own).
REPLICATED = (
    "organizations",
    "users",
    "workstations",
    "projects",
    "project_repositories",
    "workstation_repositories",
    "git_worktrees",
    "flows",
    "actors",
    "missions",
    "mission_dependencies",
    "mission_events",
    "code_agent_sessions",
    "github_pull_requests",
    "mission_fallback_configs",
    "mission_fallback_templates",
    "mission_fallback_runs",
    "mission_fallback_items",
)
#: Sync tables keyed by organization (members read their own rows through RLS).
SYNC_ORG_TABLES = ("sync_rows", "sync_sites", "sync_rejections", "mission_claims", "sync_org_seq")
#: Server bookkeeping no member may read at all (RLS on, no policy, no grant).
PRIVATE_TABLES = ("sync_server_info", "sync_replicated_tables")

#: What a member role may execute (granted to the member group by ``su_admin_grant``).
MEMBER_FUNCTIONS = (
    "su_current_org",
    "su_whoami",
    "su_use_organization",
    "su_organizations",
    "su_schema_version",
    "su_first_project",
    "su_push",
    "su_reject",
    "su_site_last_change",
    "su_rejections",
    "su_pull_window",
    "su_pull_rows",
    "su_pending",
    "su_claim",
    "su_renew",
    "su_release",
    "su_claim_holder",
)
ADMIN_FUNCTIONS = (
    "su_admin_grant",
    "su_admin_invite",
    "su_admin_members",
    "su_admin_organizations",
    "su_admin_revoke",
)
INTERNAL_FUNCTIONS = (
    "su_new_channel",
    "su_is_admin",
    "su_org",
    "su_merge_columns",
    "su_row_stamp",
    "su_table_meta",
    "su_change_reason",
    "su_merge_step",
    "su_apply_table",
)

UNCLOCKED = "ARRAY['id', 'organization_id', 'hlc', 'site_id', 'col_clocks']"

# Every function below is formatted with {S} (the schema) and {PATH} (its search_path).
FUNCTIONS = [
    # --- identity -------------------------------------------------------------------------
    """
    CREATE FUNCTION su_new_channel() RETURNS text
    LANGUAGE sql VOLATILE
    AS $$ SELECT 'su_' || replace(gen_random_uuid()::text, '-', '') $$
    """,
    """
    CREATE FUNCTION su_is_admin() RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = {PATH}
    AS $$
        SELECT pg_has_role(
            session_user,
            (SELECT relowner FROM pg_class WHERE oid = format('%I.%I', '{S}', 'sync_members')::regclass),
            'MEMBER')
    $$
    """,
    """
    CREATE FUNCTION su_current_org() RETURNS varchar
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = {PATH}
    AS $$ SELECT organization_id FROM sync_members WHERE role_name = session_user::text $$
    """,
    """
    CREATE FUNCTION su_org() RETURNS varchar
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = {PATH}
    AS $$
    DECLARE
        v_chosen text := nullif(current_setting('solo_unicorn.organization', true), '');
        v_org varchar;
    BEGIN
        IF v_chosen IS NOT NULL AND su_is_admin() THEN
            RETURN v_chosen;
        END IF;
        v_org := su_current_org();
        IF v_org IS NOT NULL THEN
            RETURN v_org;
        END IF;
        IF su_is_admin() THEN
            RAISE EXCEPTION USING ERRCODE = 'SU004', MESSAGE =
                'this administrator session has not chosen an organization';
        END IF;
        RAISE EXCEPTION USING ERRCODE = 'SU001', MESSAGE = format(
            'role %s is not a member of any organization on this server', session_user);
    END $$
    """,
    """
    CREATE FUNCTION su_whoami(
        OUT role_name text, OUT organization_id varchar, OUT is_admin boolean,
        OUT notify_channel varchar)
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = {PATH}
    AS $$
    DECLARE
        v_chosen text := nullif(current_setting('solo_unicorn.organization', true), '');
    BEGIN
        role_name := session_user::text;
        is_admin := su_is_admin();
        organization_id := CASE WHEN is_admin AND v_chosen IS NOT NULL THEN v_chosen
                                ELSE su_current_org() END;
        SELECT s.notify_channel INTO notify_channel FROM sync_org_seq s
        WHERE s.organization_id = su_whoami.organization_id;
    END $$
    """,
    """
    CREATE FUNCTION su_use_organization(p_org text) RETURNS varchar
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = {PATH}
    AS $$
    BEGIN
        IF NOT su_is_admin() THEN
            RETURN su_org();
        END IF;
        PERFORM set_config('solo_unicorn.organization', p_org, false);
        INSERT INTO sync_org_seq (organization_id, last_seq, notify_channel)
        VALUES (p_org, 0, su_new_channel()) ON CONFLICT (organization_id) DO NOTHING;
        RETURN p_org;
    END $$
    """,
    """
    CREATE FUNCTION su_organizations() RETURNS SETOF varchar
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = {PATH}
    AS $$
    BEGIN
        IF su_is_admin() THEN
            RETURN QUERY SELECT organization_id FROM sync_org_seq ORDER BY organization_id;
        ELSE
            RETURN QUERY SELECT su_org();
        END IF;
    END $$
    """,
    """
    CREATE FUNCTION su_schema_version() RETURNS text
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = {PATH}
    AS $$ SELECT version_num::text FROM alembic_version LIMIT 1 $$
    """,
    """
    CREATE FUNCTION su_first_project() RETURNS varchar
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = {PATH}
    AS $$
        SELECT id FROM projects WHERE organization_id = su_org() AND NOT deleted
        ORDER BY created_at, id LIMIT 1
    $$
    """,
    # --- the merge rule (the SQL twin of sync.merge) --------------------------------------
    f"""
    CREATE FUNCTION su_merge_columns(
        p_current jsonb, p_values jsonb, p_clocks jsonb, OUT wins jsonb, OUT clocks jsonb)
    LANGUAGE plpgsql IMMUTABLE
    AS $$
    BEGIN
        -- plpgsql, not sql: its one query's plan is cached across calls.
        SELECT coalesce(jsonb_object_agg(c.key, p_values -> c.key), '{{}}'::jsonb),
               coalesce(p_current, '{{}}'::jsonb)
                   || coalesce(jsonb_object_agg(c.key, c.value), '{{}}'::jsonb)
        INTO wins, clocks
        FROM jsonb_each_text(coalesce(p_clocks, '{{}}'::jsonb)) c
        WHERE p_values ? c.key
          AND c.key <> ALL ({UNCLOCKED})
          AND c.value COLLATE "C" > coalesce(p_current ->> c.key, '') COLLATE "C";
    END $$
    """,
    """
    CREATE FUNCTION su_row_stamp(p_clocks jsonb, OUT hlc text, OUT site_id text)
    LANGUAGE sql IMMUTABLE
    AS $$
        SELECT coalesce(m.newest, ''),
               coalesce(substring(m.newest FROM '^[^:]*:[^:]*:(.*)$'), '')
        FROM (SELECT max(value COLLATE "C") AS newest
              FROM jsonb_each_text(coalesce(p_clocks, '{}'::jsonb))) m
    $$
    """,
    # --- push -----------------------------------------------------------------------------
    f"""
    CREATE FUNCTION su_table_meta(
        p_table text, OUT columns jsonb, OUT required jsonb, OUT set_lhs text, OUT set_rhs text)
    LANGUAGE sql STABLE
    AS $$
        SELECT jsonb_agg(a.attname::text ORDER BY a.attnum),
               coalesce(jsonb_agg(a.attname::text ORDER BY a.attnum) FILTER (
                   WHERE a.attnotnull AND NOT a.atthasdef
                     AND a.attname::text <> ALL ({UNCLOCKED})), '[]'),
               string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum)
                   FILTER (WHERE a.attname <> 'id'),
               string_agg('r.' || quote_ident(a.attname), ', ' ORDER BY a.attnum)
                   FILTER (WHERE a.attname <> 'id')
        FROM pg_attribute a
        WHERE a.attrelid = format('%I.%I', '{{S}}', p_table)::regclass
          AND a.attnum > 0 AND NOT a.attisdropped
    $$
    """,
    """
    CREATE FUNCTION su_change_reason(p_org varchar, p_change jsonb, p_site text)
    RETURNS text
    LANGUAGE plpgsql STABLE
    AS $$
    DECLARE
        v_table text := p_change ->> 'table_name';
        v_row text := p_change ->> 'row_id';
        v_scope text;
        v_mission text;
        v_epoch bigint;
        v_claim record;
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
        -- Claim fencing: a write carrying an older claim epoch than the server's is stale,
        -- unless the pushing site has held the claim without a break since that epoch (its own
        -- earlier stages: each stage takes the next epoch; nobody else claimed in between).
        IF v_table IN ('missions', 'code_agent_sessions')
           AND coalesce(p_change -> 'values' ->> 'claim_epoch', '0') NOT IN ('0', 'null') THEN
            v_mission := CASE WHEN v_table = 'missions' THEN v_row
                              ELSE p_change -> 'values' ->> 'mission_id' END;
            v_epoch := (p_change -> 'values' ->> 'claim_epoch')::bigint;
            SELECT epoch, site_id, site_since_epoch INTO v_claim FROM mission_claims
            WHERE mission_id = v_mission AND organization_id = p_org;
            IF v_claim.epoch IS NOT NULL AND v_epoch < v_claim.epoch
               AND NOT (v_claim.site_id = p_site AND v_epoch >= v_claim.site_since_epoch) THEN
                RETURN format('stale claim epoch %s for mission %s: the server''s claim is at '
                              'epoch %s, taken over by another workstation since',
                              v_epoch, v_mission, v_claim.epoch);
            END IF;
        END IF;
        RETURN NULL;
    END $$
    """,
    """
    CREATE FUNCTION su_merge_step(p_state jsonb, p_values jsonb, p_clocks jsonb) RETURNS jsonb
    LANGUAGE plpgsql IMMUTABLE
    AS $$
    DECLARE
        m record;
    BEGIN
        IF p_state IS NULL THEN
            -- The first element of a row's fold: the row as the server holds it (its clocks).
            RETURN jsonb_build_object('wins', '{}'::jsonb, 'clocks', coalesce(p_clocks, '{}'));
        END IF;
        SELECT * INTO m FROM su_merge_columns(p_state -> 'clocks', p_values, p_clocks);
        RETURN jsonb_build_object('wins', (p_state -> 'wins') || m.wins, 'clocks', m.clocks);
    END $$
    """,
    """
    CREATE AGGREGATE su_merge(jsonb, jsonb) (SFUNC = su_merge_step, STYPE = jsonb)
    """,
    """
    CREATE FUNCTION su_apply_table(p_org varchar, p_table text, p_changes jsonb, p_meta jsonb)
    RETURNS jsonb
    LANGUAGE plpgsql VOLATILE
    AS $$
    DECLARE
        v_cols jsonb := p_meta -> 'columns';
        v_ids text[];
        v_cur jsonb;
        v_rejections jsonb;
        v_rows jsonb;
        v_more jsonb;
        v_lhs text;
        v_rhs text;
        v_batch jsonb;
    BEGIN
        SELECT array_agg(DISTINCT c ->> 'row_id' ORDER BY c ->> 'row_id') INTO v_ids
        FROM jsonb_array_elements(p_changes) c;
        EXECUTE format(
            'SELECT coalesce(jsonb_object_agg(x.id, jsonb_build_object(''org'', '
            'x.organization_id, ''clocks'', coalesce(x.col_clocks::jsonb, ''{}''))), ''{}'') '
            'FROM (SELECT id, organization_id, col_clocks FROM %I WHERE id = ANY ($1) '
            'ORDER BY id FOR UPDATE) x', p_table) INTO v_cur USING v_ids;
        -- Rows of another organization (or a new mission claimed in another): refused.
        SELECT coalesce(jsonb_agg(jsonb_build_object(
                   'change_id', (c ->> 'change_id')::bigint, 'table_name', p_table,
                   'row_id', c ->> 'row_id', 'reason',
                   CASE WHEN v_cur ? (c ->> 'row_id')
                        THEN format('row %s exists on the server in another organization',
                                    c ->> 'row_id')
                        ELSE format('mission %s is claimed in another organization',
                                    c ->> 'row_id') END)), '[]')
        INTO v_rejections
        FROM jsonb_array_elements(p_changes) c
        WHERE (v_cur ? (c ->> 'row_id') AND v_cur -> (c ->> 'row_id') ->> 'org' <> p_org)
           OR (p_table = 'missions' AND NOT v_cur ? (c ->> 'row_id') AND EXISTS (
                   SELECT 1 FROM mission_claims m
                   WHERE m.mission_id = c ->> 'row_id' AND m.organization_id <> p_org));
        -- The merge: per row, su_merge folds su_merge_columns over the server's clocks and then
        -- every change in change_id order, exactly as one change after the other would.
        SELECT coalesce(jsonb_agg(jsonb_build_object(
                   'row_id', m.row_id, 'first', m.first, 'last', m.last,
                   'existing', v_cur ? m.row_id,
                   'patch', (m.state -> 'wins') || jsonb_build_object(
                       'col_clocks', m.state -> 'clocks', 'hlc', st.hlc, 'site_id', st.site_id)
               )), '[]')
        INTO v_rows
        FROM (
            SELECT e.row_id, min(e.ord) FILTER (WHERE e.ord > 0) AS first, max(e.ord) AS last,
                   su_merge(e.vals, e.clocks ORDER BY e.ord) AS state
            FROM (
                SELECT i AS row_id, 0::bigint AS ord, NULL::jsonb AS vals,
                       coalesce(v_cur -> i -> 'clocks', '{}') AS clocks
                FROM unnest(v_ids) i
                UNION ALL
                SELECT c ->> 'row_id', (c ->> 'change_id')::bigint, v.vals, v.clocks
                FROM jsonb_array_elements(p_changes) c,
                     LATERAL (SELECT coalesce(jsonb_object_agg(k.key, k.value), '{}') AS vals,
                                     coalesce(jsonb_object_agg(k.key, c ->> 'hlc'), '{}')
                                         AS clocks
                              FROM jsonb_each(coalesce(c -> 'values', '{}')) k
                              WHERE v_cols ? k.key) v
                WHERE NOT EXISTS (SELECT 1 FROM jsonb_array_elements(v_rejections) j
                                  WHERE j ->> 'row_id' = c ->> 'row_id')
            ) e
            GROUP BY e.row_id
        ) m, LATERAL su_row_stamp(m.state -> 'clocks') st
        WHERE m.first IS NOT NULL AND m.state -> 'wins' <> '{}'::jsonb;
        -- A row the server never saw must carry every required column.
        SELECT coalesce(jsonb_agg(jsonb_build_object(
                   'change_id', (r ->> 'last')::bigint, 'table_name', p_table,
                   'row_id', r ->> 'row_id', 'reason', format(
                       'change to a row the server never saw (missing %s)', x.missing))), '[]')
        INTO v_more
        FROM jsonb_array_elements(v_rows) r,
             LATERAL (SELECT string_agg(q, ', ' ORDER BY q) AS missing
                      FROM jsonb_array_elements_text(p_meta -> 'required') q
                      WHERE NOT (r -> 'patch') ? q AND q NOT IN ('id', 'organization_id')) x
        WHERE NOT (r ->> 'existing')::boolean AND x.missing IS NOT NULL;
        IF jsonb_array_length(v_more) > 0 THEN
            v_rejections := v_rejections || v_more;
            SELECT coalesce(jsonb_agg(r), '[]') INTO v_rows FROM jsonb_array_elements(v_rows) r
            WHERE NOT EXISTS (SELECT 1 FROM jsonb_array_elements(v_more) j
                              WHERE j ->> 'row_id' = r ->> 'row_id');
        END IF;
        -- Existing rows: one UPDATE, each row patched onto itself (jsonb_populate_record with
        -- the row as its base keeps every column the patch does not name).
        SELECT coalesce(jsonb_agg(jsonb_build_object('row_id', r ->> 'row_id',
                                                     'patch', r -> 'patch')), '[]')
        INTO v_batch FROM jsonb_array_elements(v_rows) r WHERE (r ->> 'existing')::boolean;
        IF jsonb_array_length(v_batch) > 0 THEN
            EXECUTE format(
                'UPDATE %1$I t SET (%2$s) = (SELECT %3$s FROM jsonb_populate_record(t, p.patch) r) '
                'FROM jsonb_to_recordset($1) AS p(row_id text, patch jsonb) WHERE t.id = p.row_id',
                p_table, p_meta ->> 'set_lhs', p_meta ->> 'set_rhs') USING v_batch;
        END IF;
        -- New rows: one INSERT per set of columns carried.
        FOR v_lhs, v_rhs, v_batch IN
            SELECT k.lhs, k.rhs, jsonb_agg(k.patch)
            FROM (SELECT r -> 'patch' || jsonb_build_object(
                             'id', r ->> 'row_id', 'organization_id', p_org) AS patch
                  FROM jsonb_array_elements(v_rows) r
                  WHERE NOT (r ->> 'existing')::boolean) n,
                 LATERAL (SELECT string_agg(quote_ident(key), ', ' ORDER BY key) AS lhs,
                                 string_agg('r.' || quote_ident(key), ', ' ORDER BY key) AS rhs,
                                 n.patch
                          FROM jsonb_object_keys(n.patch) key) k
            GROUP BY k.lhs, k.rhs
        LOOP
            EXECUTE format(
                'INSERT INTO %I (%s) SELECT %s FROM jsonb_populate_recordset(NULL::%I, $1) r',
                p_table, v_lhs, v_rhs, p_table) USING v_batch;
        END LOOP;
        RETURN jsonb_build_object(
            'written', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                            'table_name', p_table, 'row_id', r ->> 'row_id',
                            'ord', (r ->> 'first')::bigint)), '[]')
                        FROM jsonb_array_elements(v_rows) r),
            'rejections', v_rejections);
    END $$
    """,
    """
    CREATE FUNCTION su_push(p_site_id text, p_changes jsonb) RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = {PATH} SET "TimeZone" = 'UTC'
    AS $$
    DECLARE
        v_org varchar := su_org();
        v_site_org varchar;
        v_last bigint;
        v_total int := jsonb_array_length(p_changes);
        v_fresh int;
        v_acked bigint;
        v_valid jsonb;
        v_rejections jsonb;
        v_table text;
        v_changes jsonb;
        v_result jsonb;
        v_written jsonb := '[]';
        v_count int;
        v_top bigint;
        v_channel varchar;
    BEGIN
        PERFORM pg_advisory_xact_lock(hashtextextended(v_org, 0));
        SELECT organization_id, last_change_id INTO v_site_org, v_last
        FROM sync_sites WHERE site_id = p_site_id FOR UPDATE;
        IF NOT FOUND THEN
            INSERT INTO sync_sites (site_id, organization_id) VALUES (p_site_id, v_org);
            v_last := 0;
        ELSIF v_site_org <> v_org THEN
            RAISE EXCEPTION USING ERRCODE = 'SU002', MESSAGE = format(
                'replica %s is registered on the server for another organization: '
                'this replica cannot sync here', p_site_id);
        END IF;
        -- Changes at or below the site's last applied change_id are duplicates (a retry).
        SELECT count(*), coalesce(max(x.id), v_last),
               coalesce(jsonb_agg(x.c ORDER BY x.id) FILTER (WHERE x.reason IS NULL), '[]'),
               coalesce(jsonb_agg(jsonb_build_object(
                   'change_id', x.id, 'table_name', x.c ->> 'table_name',
                   'row_id', x.c ->> 'row_id', 'reason', x.reason) ORDER BY x.id)
                   FILTER (WHERE x.reason IS NOT NULL), '[]')
        INTO v_fresh, v_acked, v_valid, v_rejections
        FROM (SELECT c, (c ->> 'change_id')::bigint AS id, su_change_reason(v_org, c, p_site_id) AS reason
              FROM jsonb_array_elements(p_changes) c
              WHERE (c ->> 'change_id')::bigint > v_last OFFSET 0) x;
        IF v_fresh = 0 THEN
            RETURN jsonb_build_object('acked', v_last, 'applied', 0, 'duplicates', v_total,
                                      'rejections', '[]'::jsonb);
        END IF;
        FOR v_table, v_changes IN
            SELECT c ->> 'table_name', jsonb_agg(c ORDER BY (c ->> 'change_id')::bigint)
            FROM jsonb_array_elements(v_valid) c GROUP BY 1 ORDER BY 1
        LOOP
            v_result := su_apply_table(
                v_org, v_table, v_changes,
                (SELECT to_jsonb(m) FROM su_table_meta(v_table) m));
            v_written := v_written || (v_result -> 'written');
            v_rejections := v_rejections || (v_result -> 'rejections');
        END LOOP;
        -- Each written row gets the next server sequence, in the order first written; the
        -- advisory lock above makes these numbers commit in order per organization. (No
        -- temporary table anywhere here: a member could plant one in pg_temp with a trigger.)
        v_count := jsonb_array_length(v_written);
        IF v_count > 0 THEN
            INSERT INTO sync_org_seq AS s (organization_id, last_seq, notify_channel)
            VALUES (v_org, v_count, su_new_channel())
            ON CONFLICT (organization_id) DO UPDATE SET last_seq = s.last_seq + v_count
            RETURNING last_seq, notify_channel INTO v_top, v_channel;
            INSERT INTO sync_rows AS r (table_name, row_id, organization_id, server_seq)
            SELECT w ->> 'table_name', w ->> 'row_id', v_org,
                   v_top - v_count + row_number() OVER (
                       ORDER BY (w ->> 'ord')::bigint, w ->> 'table_name', w ->> 'row_id')
            FROM jsonb_array_elements(v_written) w
            ON CONFLICT (table_name, row_id) DO UPDATE SET server_seq = EXCLUDED.server_seq;
            PERFORM pg_notify(v_channel, '');
        END IF;
        SELECT coalesce(jsonb_agg(j ORDER BY (j ->> 'change_id')::bigint), '[]')
        INTO v_rejections FROM jsonb_array_elements(v_rejections) j;
        INSERT INTO sync_rejections (site_id, change_id, table_name, row_id, organization_id,
                                     reason)
        SELECT p_site_id, (j ->> 'change_id')::bigint, left(j ->> 'table_name', 64),
               left(j ->> 'row_id', 40), v_org, j ->> 'reason'
        FROM jsonb_array_elements(v_rejections) j;
        UPDATE sync_sites SET last_change_id = v_acked, last_push_at = now()
        WHERE site_id = p_site_id;
        RETURN jsonb_build_object(
            'acked', v_acked, 'applied', v_fresh - jsonb_array_length(v_rejections),
            'duplicates', v_total - v_fresh, 'rejections', v_rejections);
    END $$
    """,
    """
    CREATE FUNCTION su_reject(
        p_site_id text, p_change_id bigint, p_table text, p_row_id text, p_reason text)
    RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = {PATH}
    AS $$
    DECLARE
        v_org varchar := su_org();
        v_site_org varchar;
        v_last bigint;
    BEGIN
        PERFORM pg_advisory_xact_lock(hashtextextended(v_org, 0));
        SELECT organization_id, last_change_id INTO v_site_org, v_last
        FROM sync_sites WHERE site_id = p_site_id FOR UPDATE;
        IF FOUND AND v_site_org <> v_org THEN
            RAISE EXCEPTION USING ERRCODE = 'SU002', MESSAGE = format(
                'replica %s is registered on the server for another organization: '
                'this replica cannot sync here', p_site_id);
        END IF;
        IF v_last IS NOT NULL AND p_change_id <= v_last THEN
            RETURN jsonb_build_object('acked', v_last, 'duplicates', 1);
        END IF;
        INSERT INTO sync_rejections (site_id, change_id, table_name, row_id, organization_id,
                                     reason)
        VALUES (p_site_id, p_change_id, left(p_table, 64), left(p_row_id, 40), v_org, p_reason);
        INSERT INTO sync_sites AS s (site_id, organization_id, last_change_id, last_push_at)
        VALUES (p_site_id, v_org, p_change_id, now())
        ON CONFLICT (site_id) DO UPDATE
        SET last_change_id = EXCLUDED.last_change_id, last_push_at = now();
        RETURN jsonb_build_object('acked', p_change_id, 'duplicates', 0);
    END $$
    """,
    """
    CREATE FUNCTION su_site_last_change(p_site_id text) RETURNS bigint
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = {PATH}
    AS $$
        SELECT coalesce(max(last_change_id), 0) FROM sync_sites
        WHERE site_id = p_site_id AND organization_id = su_org()
    $$
    """,
    """
    CREATE FUNCTION su_rejections(p_site_id text, p_limit int)
    RETURNS TABLE (change_id bigint, table_name varchar, row_id varchar, reason text,
                   created_at timestamptz)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = {PATH}
    AS $$
        SELECT r.change_id, r.table_name, r.row_id, r.reason, r.created_at
        FROM sync_rejections r
        WHERE r.site_id = p_site_id AND r.organization_id = su_org()
        ORDER BY r.change_id DESC LIMIT p_limit
    $$
    """,
    # --- pull -----------------------------------------------------------------------------
    """
    CREATE FUNCTION su_pull_window(p_cursor bigint, p_limit int,
                                   OUT upto bigint, OUT tables text[])
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = {PATH}
    AS $$
        SELECT max(w.server_seq), coalesce(array_agg(DISTINCT w.table_name::text), '{}')
        FROM (SELECT s.server_seq, s.table_name FROM sync_rows s
              WHERE s.organization_id = su_org() AND s.server_seq > p_cursor
              ORDER BY s.server_seq LIMIT p_limit) w
    $$
    """,
    """
    CREATE FUNCTION su_pull_rows(p_type anyelement, p_cursor bigint, p_upto bigint)
    RETURNS SETOF anyelement
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = {PATH}
    AS $$
    DECLARE
        v_org varchar := su_org();
        v_table text := pg_typeof(p_type)::text;
    BEGIN
        IF NOT EXISTS (SELECT 1 FROM sync_replicated_tables WHERE table_name = v_table) THEN
            RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE = format(
                '%s is not a replicated table', v_table);
        END IF;
        RETURN QUERY EXECUTE format(
            'SELECT t.* FROM sync_rows s JOIN %I t ON t.id = s.row_id '
            'WHERE s.organization_id = $1 AND s.table_name = %L '
            'AND s.server_seq > $2 AND s.server_seq <= $3 AND t.organization_id = $1',
            v_table, v_table) USING v_org, p_cursor, p_upto;
    END $$
    """,
    """
    CREATE FUNCTION su_pending(p_cursor bigint) RETURNS bigint
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = {PATH}
    AS $$
        SELECT count(*) FROM sync_rows
        WHERE organization_id = su_org() AND server_seq > p_cursor
    $$
    """,
    # --- claims ---------------------------------------------------------------------------
    """
    CREATE FUNCTION su_claim(
        p_mission_id text, p_workstation_id text, p_site_id text,
        p_lease_seconds double precision, p_options jsonb DEFAULT '{}')
    RETURNS jsonb
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = {PATH}
    AS $$
    DECLARE
        v_org varchar := su_org();
        v_epoch bigint;
        v_holder record;
        v_row record;
        v_last text;
    BEGIN
        IF EXISTS (SELECT 1 FROM missions WHERE id = p_mission_id AND organization_id <> v_org)
           OR EXISTS (SELECT 1 FROM mission_claims
                      WHERE mission_id = p_mission_id AND organization_id <> v_org) THEN
            RETURN jsonb_build_object('claimed', false, 'refused', format(
                'mission %s belongs to another organization: it cannot be claimed here',
                p_mission_id));
        END IF;
        -- A stage runs once: the claimant says what it saw (stage, newest session id; ids are
        -- ULIDs, so text order is creation order). If the server's mission has moved on, or
        -- holds a newer session, the claimant is stale: refused with the server's view.
        IF p_options ? 'stage' THEN
            SELECT m.list, m.stage, m.deleted INTO v_row FROM missions m
            WHERE m.id = p_mission_id AND m.organization_id = v_org;
            SELECT max(s.id) INTO v_last FROM code_agent_sessions s
            WHERE s.mission_id = p_mission_id AND s.organization_id = v_org AND NOT s.deleted;
            IF v_row.stage IS NOT NULL AND (
                   v_row.deleted OR v_row.list = 'done'
                   OR v_row.stage IS DISTINCT FROM p_options ->> 'stage'
                   OR v_last > coalesce(p_options ->> 'last_session_id', '')) THEN
                RETURN jsonb_build_object('claimed', false, 'stale', jsonb_build_object(
                    'list', v_row.list, 'stage', v_row.stage, 'deleted', v_row.deleted,
                    'last_session_id', v_last));
            END IF;
        END IF;
        INSERT INTO mission_claims AS c
            (mission_id, organization_id, workstation_id, site_id, epoch, lease_expires_at,
             site_since_epoch)
        VALUES (p_mission_id, v_org, p_workstation_id, p_site_id, 1,
                now() + make_interval(secs => p_lease_seconds), 1)
        ON CONFLICT (mission_id) DO UPDATE SET
            workstation_id = EXCLUDED.workstation_id,
            site_id = EXCLUDED.site_id,
            epoch = c.epoch + 1,
            site_since_epoch = CASE WHEN c.site_id = EXCLUDED.site_id
                                    THEN c.site_since_epoch ELSE c.epoch + 1 END,
            claimed_at = now(),
            lease_expires_at = EXCLUDED.lease_expires_at,
            released = false
        WHERE c.organization_id = v_org AND (c.released OR c.lease_expires_at <= now())
        RETURNING epoch INTO v_epoch;
        IF v_epoch IS NOT NULL THEN
            RETURN jsonb_build_object('claimed', true, 'epoch', v_epoch);
        END IF;
        SELECT workstation_id, epoch, lease_expires_at INTO v_holder
        FROM mission_claims WHERE mission_id = p_mission_id AND organization_id = v_org;
        RETURN jsonb_build_object(
            'claimed', false, 'holder_workstation_id', v_holder.workstation_id,
            'epoch', v_holder.epoch, 'lease_expires_at', v_holder.lease_expires_at);
    END $$
    """,
    """
    CREATE FUNCTION su_renew(p_mission_id text, p_epoch bigint, p_workstation_id text,
                             p_lease_seconds double precision) RETURNS bigint
    LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = {PATH}
    AS $$
        UPDATE mission_claims
        SET lease_expires_at = now() + make_interval(secs => p_lease_seconds)
        WHERE mission_id = p_mission_id AND epoch = p_epoch
          AND workstation_id = p_workstation_id AND organization_id = su_org()
          AND NOT released AND lease_expires_at > now()
        RETURNING epoch
    $$
    """,
    """
    CREATE FUNCTION su_release(p_mission_id text, p_epoch bigint, p_workstation_id text)
    RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = {PATH}
    AS $$
    BEGIN
        UPDATE mission_claims SET released = true
        WHERE mission_id = p_mission_id AND epoch = p_epoch
          AND workstation_id = p_workstation_id AND organization_id = su_org()
          AND NOT released;
        RETURN FOUND;
    END $$
    """,
    """
    CREATE FUNCTION su_claim_holder(p_mission_id text)
    RETURNS TABLE (workstation_id varchar, epoch bigint, lease_expires_at timestamptz)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = {PATH}
    AS $$
        SELECT c.workstation_id, c.epoch, c.lease_expires_at FROM mission_claims c
        WHERE c.mission_id = p_mission_id AND c.organization_id = su_org()
    $$
    """,
    # --- administration (run as the administrator, never granted to members) -------------
    f"""
    CREATE FUNCTION su_admin_grant(p_role text) RETURNS void
    LANGUAGE plpgsql VOLATILE SET search_path = {{PATH}}
    AS $$
    DECLARE
        v_name text;
    BEGIN
        EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I', '{{S}}', p_role);
        FOR v_name IN
            SELECT table_name FROM sync_replicated_tables
            UNION ALL SELECT unnest(ARRAY{list(SYNC_ORG_TABLES)}::text[])
        LOOP
            EXECUTE format('GRANT SELECT ON {{S}}.%I TO %I', v_name, p_role);
        END LOOP;
        FOR v_name IN
            SELECT p.oid::regprocedure::text FROM pg_proc p
            WHERE p.pronamespace = (SELECT oid FROM pg_namespace WHERE nspname = '{{S}}')
              AND p.proname = ANY (ARRAY{list(MEMBER_FUNCTIONS)}::text[])
        LOOP
            EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %I', v_name, p_role);
        END LOOP;
    END $$
    """,
    """
    CREATE FUNCTION su_admin_invite(p_org text, p_role text, p_verifier text, p_name text)
    RETURNS text
    LANGUAGE plpgsql VOLATILE SET search_path = {PATH}
    AS $$
    DECLARE
        v_group text;
    BEGIN
        IF NOT su_is_admin() THEN
            RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE =
                'only the administrator can invite members';
        END IF;
        IF p_verifier NOT LIKE 'SCRAM-SHA-256$%' THEN
            RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE =
                'a member password must be given as a SCRAM-SHA-256 verifier, never in plain text';
        END IF;
        IF NOT EXISTS (SELECT 1 FROM sync_org_seq WHERE organization_id = p_org) THEN
            RAISE EXCEPTION USING ERRCODE = 'SU005', MESSAGE = format(
                'the server holds no organization %s', p_org);
        END IF;
        -- One group per database (roles are cluster-wide): its name derives from the database.
        SELECT value INTO v_group FROM sync_server_info WHERE key = 'member_group';
        IF v_group IS NULL OR NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = v_group) THEN
            v_group := coalesce(
                v_group, 'su_members_' || substr(md5(current_database()), 1, 16));
            IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = v_group) THEN
                EXECUTE format('CREATE ROLE %I NOLOGIN', v_group);
            END IF;
            PERFORM su_admin_grant(v_group);
            INSERT INTO sync_server_info (key, value) VALUES ('member_group', v_group)
            ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value;
        END IF;
        EXECUTE format('CREATE ROLE %I LOGIN PASSWORD %L IN ROLE %I',
                       p_role, p_verifier, v_group);
        INSERT INTO sync_members (role_name, organization_id, member_name, kind)
        VALUES (p_role, p_org, coalesce(p_name, ''), 'member');
        RETURN v_group;
    END $$
    """,
    """
    CREATE FUNCTION su_admin_members(p_org text)
    RETURNS TABLE (role_name text, member_name text, kind varchar, created_at timestamptz,
                   can_login boolean, connections bigint)
    LANGUAGE sql STABLE SET search_path = {PATH}
    AS $$
        SELECT m.role_name, m.member_name, m.kind, m.created_at,
               coalesce(r.rolcanlogin, false),
               (SELECT count(*) FROM pg_stat_activity a
                WHERE a.usename = m.role_name AND a.datname = current_database())
        FROM sync_members m LEFT JOIN pg_roles r ON r.rolname = m.role_name
        WHERE m.organization_id = p_org
        ORDER BY m.created_at, m.role_name
    $$
    """,
    """
    CREATE FUNCTION su_admin_organizations()
    RETURNS TABLE (organization_id varchar, name varchar, slug varchar, members bigint,
                   last_seq bigint)
    LANGUAGE sql STABLE SET search_path = {PATH}
    AS $$
        SELECT s.organization_id, o.name, o.slug,
               (SELECT count(*) FROM sync_members m
                WHERE m.organization_id = s.organization_id AND m.kind = 'member'),
               s.last_seq
        FROM sync_org_seq s LEFT JOIN organizations o ON o.id = s.organization_id
        ORDER BY o.name, s.organization_id
    $$
    """,
    """
    CREATE FUNCTION su_admin_revoke(p_role text) RETURNS varchar
    LANGUAGE plpgsql VOLATILE SET search_path = {PATH}
    AS $$
    DECLARE
        v_org varchar;
    BEGIN
        IF NOT su_is_admin() THEN
            RAISE EXCEPTION USING ERRCODE = '42501', MESSAGE =
                'only the administrator can revoke members';
        END IF;
        DELETE FROM sync_members WHERE role_name = p_role AND kind = 'member'
        RETURNING organization_id INTO v_org;
        IF v_org IS NULL THEN
            RAISE EXCEPTION USING ERRCODE = 'SU006', MESSAGE = format(
                'role %s is not a member role of this server', p_role);
        END IF;
        BEGIN
            PERFORM pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = p_role;
        EXCEPTION WHEN insufficient_privilege THEN
            NULL;  -- its sessions can no longer do anything: the mapping is gone
        END;
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = p_role) THEN
            EXECUTE format('DROP ROLE %I', p_role);
        END IF;
        RETURN v_org;
    END $$
    """,
]

TABLES = [
    """
    CREATE TABLE sync_members (
        role_name text PRIMARY KEY,
        organization_id varchar(40) NOT NULL,
        member_name text NOT NULL DEFAULT '',
        kind varchar(16) NOT NULL DEFAULT 'member'
            CHECK (kind IN ('member', 'administrator')),
        created_at timestamptz NOT NULL DEFAULT now()
    )
    """,
    "CREATE INDEX ix_sync_members_org ON sync_members (organization_id)",
    "CREATE TABLE sync_replicated_tables (table_name varchar(64) PRIMARY KEY)",
    "ALTER TABLE sync_org_seq ADD COLUMN notify_channel varchar(63)",
]

ALL_FUNCTIONS = MEMBER_FUNCTIONS + ADMIN_FUNCTIONS + INTERNAL_FUNCTIONS


def _policy_sql(table: str, using: str) -> list[str]:
    return [
        f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY',
        f'CREATE POLICY su_organization ON "{table}" FOR SELECT USING ({using})',
    ]


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    schema = bind.exec_driver_sql("SELECT current_schema()").scalar_one()
    quoted = '"' + schema.replace('"', '""') + '"'
    path = f"pg_catalog, {quoted}, pg_temp"
    for statement in TABLES:
        op.execute(statement)
    # The first epoch of the current holder's unbroken run (fencing: see su_change_reason).
    op.execute("ALTER TABLE mission_claims ADD COLUMN site_since_epoch bigint")
    op.execute("UPDATE mission_claims SET site_since_epoch = epoch")
    op.execute("ALTER TABLE mission_claims ALTER COLUMN site_since_epoch SET NOT NULL")
    for table in REPLICATED:
        op.execute(f"INSERT INTO sync_replicated_tables (table_name) VALUES ('{table}')")
    for statement in FUNCTIONS:
        op.execute(statement.replace("{PATH}", path).replace("{S}", schema))
    op.execute("REVOKE ALL ON FUNCTION su_merge(jsonb, jsonb) FROM PUBLIC")
    op.execute("UPDATE sync_org_seq SET notify_channel = su_new_channel()")
    op.execute("ALTER TABLE sync_org_seq ALTER COLUMN notify_channel SET NOT NULL")
    for name in ALL_FUNCTIONS:
        op.execute(
            f"DO $$ DECLARE f regprocedure; BEGIN FOR f IN SELECT oid FROM pg_proc "
            f"WHERE proname = '{name}' AND pronamespace = current_schema()::regnamespace LOOP "
            f"EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f); END LOOP; END $$"
        )
    for table in REPLICATED:
        using = "id" if table == "organizations" else "organization_id"
        for statement in _policy_sql(table, f"{using} = (SELECT su_current_org())"):
            op.execute(statement)
    for table in SYNC_ORG_TABLES:
        for statement in _policy_sql(table, "organization_id = (SELECT su_current_org())"):
            op.execute(statement)
    for statement in _policy_sql("sync_members", "role_name = session_user::text"):
        op.execute(statement)
    for table in PRIVATE_TABLES:
        op.execute(f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY')
    # A single-role server: its role keeps syncing the one organization it already holds.
    op.execute(
        "INSERT INTO sync_members (role_name, organization_id, member_name, kind) "
        "SELECT session_user::text, min(organization_id), 'administrator', 'administrator' "
        "FROM sync_org_seq HAVING count(*) = 1"
    )
    op.execute("UPDATE sync_server_info SET value = '2' WHERE key = 'protocol'")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for table in (*REPLICATED, *SYNC_ORG_TABLES, "sync_members"):
        op.execute(f'DROP POLICY IF EXISTS su_organization ON "{table}"')
        op.execute(f'ALTER TABLE "{table}" DISABLE ROW LEVEL SECURITY')
    for table in PRIVATE_TABLES:
        op.execute(f'ALTER TABLE "{table}" DISABLE ROW LEVEL SECURITY')
    op.execute("DROP AGGREGATE su_merge(jsonb, jsonb)")
    for name in ALL_FUNCTIONS:
        op.execute(
            f"DO $$ DECLARE f regprocedure; BEGIN FOR f IN SELECT oid FROM pg_proc "
            f"WHERE proname = '{name}' AND pronamespace = current_schema()::regnamespace LOOP "
            f"EXECUTE format('DROP FUNCTION %s', f); END LOOP; END $$"
        )
    op.execute("DROP TABLE sync_members, sync_replicated_tables")
    op.execute("ALTER TABLE sync_org_seq DROP COLUMN notify_channel")
    op.execute("ALTER TABLE mission_claims DROP COLUMN site_since_epoch")
    op.execute("UPDATE sync_server_info SET value = '1' WHERE key = 'protocol'")
