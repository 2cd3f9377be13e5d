/**
 * The PostgreSQL schema, its migrations, the functions the storage calls and the statements it sends: all
 * of the storage's SQL (see ./README.md).
 *
 * Every write of the storage is one call of a plpgsql function installed here: it locks, checks, writes
 * and answers in one round trip and one transaction. Refusals cross into TypeScript as SQLSTATEs of class
 * `TU` with a JSON detail (`PG_ERRORS`), which postgres.ts turns into the typed errors. Each write
 * function takes a request id first: the first call with an id records its result in `tunable_requests`
 * in the same transaction, and a later call with the same id (a retry after a dropped connection) returns
 * that result without applying anything again.
 *
 * The functions address the tables with the schema in their text (no dependence on `search_path`).
 * Migrations are numbered 1, 2, 3, …; a released migration never changes: a change of schema or of a
 * function is a new migration (`CREATE OR REPLACE FUNCTION` for a function).
 */
import type pg from 'pg';
import { StorageError } from '../errors.js';
import { quoteIdent } from './postgres-url.js';

/** `tunable_meta.application_id` of a tunable schema. */
export const APPLICATION_ID = 'tunable';

/** One schema migration. `up` gets the quoted schema name and returns the SQL to run (in the migration's transaction). */
export interface PgMigration {
  /** The schema version this migration produces. */
  readonly version: number;
  readonly description: string;
  readonly up: (schema: string) => string;
}

/** The SQLSTATEs the functions raise, with the JSON detail each carries. */
export const PG_ERRORS = Object.freeze({
  /** { study }: no study with that id. */
  studyNotFound: 'TU001',
  /** { trial }: no trial with that id. */
  trialNotFound: 'TU002',
  /** { trial, number, state }: the trial is finished. */
  trialFinished: 'TU003',
  /** { trial, name }: the parameter exists with another distribution. */
  paramConflict: 'TU004',
  /** { name }: the study name is taken. */
  duplicatedStudy: 'TU005',
  /** { number, step }: the step already has an intermediate value. */
  stepTaken: 'TU006',
  /** { objectives }: values missing, or not one per objective. */
  valuesCount: 'TU007',
});

/** How long request ids are kept (at least MAX_RETRY_TIMEOUT_MS of postgres-url.ts). */
const REQUEST_RETENTION = `interval '1 hour'`;

/**
 * A trial as one JSON array (the shape `TrialTuple` of postgres.ts):
 * [trial_id, number, state, start_ms, complete_ms, seq, study_id, values, params, intermediate, user_attrs, system_attrs]
 * values: [v0, v1, …] | null; params: [[name, internal, distribution_json], …] | null (in the order set);
 * intermediate: [[step, value], …] | null (in the order set); attrs: [[key, value_json], …] | null.
 */
export function trialJson(s: string, t: string): string {
  return `json_build_array(${t}.trial_id, ${t}.number, ${t}.state, ${ms(`${t}.datetime_start`)}, ${ms(`${t}.datetime_complete`)}, ${t}.seq, ${t}.study_id,
    (SELECT json_agg(v.value ORDER BY v.objective) FROM ${s}.trial_values v WHERE v.trial_id = ${t}.trial_id),
    (SELECT json_agg(json_build_array(p.name, p.internal, p.distribution) ORDER BY p.id) FROM ${s}.trial_params p WHERE p.trial_id = ${t}.trial_id),
    (SELECT json_agg(json_build_array(i.step, i.value) ORDER BY i.id) FROM ${s}.trial_intermediate_values i WHERE i.trial_id = ${t}.trial_id),
    (SELECT json_agg(json_build_array(a.key, a.value_json) ORDER BY a.id) FROM ${s}.trial_user_attrs a WHERE a.trial_id = ${t}.trial_id),
    (SELECT json_agg(json_build_array(a.key, a.value_json) ORDER BY a.id) FROM ${s}.trial_system_attrs a WHERE a.trial_id = ${t}.trial_id))`;
}

/** A timestamp as ms since the epoch (float8, whole ms; null stays null). */
export function ms(column: string): string {
  return `floor(extract(epoch FROM ${column}) * 1000)::float8`;
}

function raise(code: string, detail: string): string {
  return `RAISE EXCEPTION USING ERRCODE = '${code}', MESSAGE = 'tunable: ${code}', DETAIL = (${detail})::text`;
}

/** The start of every write function: a request seen before returns its recorded result. */
function replay(s: string): string {
  return `
  SELECT r.result INTO v_result FROM ${s}.tunable_requests r WHERE r.request_id = p_request;
  IF FOUND THEN RETURN v_result; END IF;
  IF random() < 0.001 THEN PERFORM ${s}.tunable_purge_requests(); END IF;`;
}

/** The end of every write function: records the result under the request id, in the same transaction. */
function remember(s: string): string {
  return `
  INSERT INTO ${s}.tunable_requests (request_id, result) VALUES (p_request, v_result);
  RETURN v_result;`;
}

/**
 * A write function `name(p_request uuid, <params>) RETURNS json`, idempotent per request id. A `lazy` one
 * commits without waiting for the WAL flush (synchronous_commit off for its transaction only): it only
 * fills a RUNNING trial, whose synchronous final state flushes it (the WAL is sequential), and the
 * storage replays it should the server crash before that (postgres.ts, `#unsynced`).
 */
function writeFunction(s: string, name: string, params: string, declare: string, body: string, lazy = false): string {
  return `
CREATE FUNCTION ${s}.${name}(p_request uuid, ${params}) RETURNS json LANGUAGE plpgsql AS $fn$
DECLARE
  v_result json;${declare}
BEGIN${replay(s)}${lazy ? `
  PERFORM set_config('synchronous_commit', 'off', true);` : ''}
${body}${remember(s)}
END
$fn$;`;
}

function version1(s: string): string {
  const attrTable = (name: string, owner: 'study' | 'trial') => `
CREATE TABLE ${s}.${name} (
  ${owner}_id bigint NOT NULL REFERENCES ${s}.${owner === 'study' ? 'studies' : 'trials'} ON DELETE CASCADE,
  key         text NOT NULL,
  value_json  text NOT NULL,                                    -- JSON text, kept verbatim
  id          bigint GENERATED ALWAYS AS IDENTITY,              -- insertion order
  PRIMARY KEY (${owner}_id, key)
);`;
  const unfinished = `state IN ('RUNNING', 'WAITING')`;
  return `
CREATE TABLE ${s}.tunable_meta (
  singleton       boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  application_id  text NOT NULL,
  schema_version  integer NOT NULL
);
CREATE TABLE ${s}.studies (
  study_id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  study_name    text NOT NULL UNIQUE,
  directions    text NOT NULL,                                  -- JSON array of "minimize" | "maximize"
  n_objectives  integer NOT NULL,
  next_number   integer NOT NULL DEFAULT 0,                     -- the next trial's number
  seq           bigint NOT NULL DEFAULT 0,                      -- bumped by every trial write, under this row's lock
  created_at    timestamptz NOT NULL DEFAULT clock_timestamp()
);
${attrTable('study_user_attrs', 'study')}
${attrTable('study_system_attrs', 'study')}
CREATE TABLE ${s}.trials (
  trial_id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  study_id          bigint NOT NULL REFERENCES ${s}.studies ON DELETE CASCADE,
  number            integer NOT NULL,
  state             text NOT NULL CHECK (state IN ('RUNNING', 'WAITING', 'COMPLETE', 'PRUNED', 'FAIL')),
  datetime_start    timestamptz,                                -- the server's clock
  datetime_complete timestamptz,
  heartbeat         timestamptz,
  seq               bigint NOT NULL,                            -- the study's seq at this trial's last write
  UNIQUE (study_id, number)
);
CREATE INDEX trials_study_seq ON ${s}.trials (study_id, seq);
CREATE INDEX trials_study_state ON ${s}.trials (study_id, state, number);
CREATE TABLE ${s}.trial_values (
  trial_id   bigint NOT NULL REFERENCES ${s}.trials ON DELETE CASCADE,
  objective  integer NOT NULL,
  value      float8 NOT NULL,
  PRIMARY KEY (trial_id, objective)
);
CREATE TABLE ${s}.trial_params (
  trial_id      bigint NOT NULL REFERENCES ${s}.trials ON DELETE CASCADE,
  name          text NOT NULL,
  internal      float8 NOT NULL,
  distribution  text NOT NULL,                                  -- serializeDistribution()
  id            bigint GENERATED ALWAYS AS IDENTITY,
  PRIMARY KEY (trial_id, name)
);
CREATE TABLE ${s}.trial_intermediate_values (
  trial_id  bigint NOT NULL REFERENCES ${s}.trials ON DELETE CASCADE,
  step      bigint NOT NULL,
  value     float8 NOT NULL,
  id        bigint GENERATED ALWAYS AS IDENTITY,
  PRIMARY KEY (trial_id, step)
);
${attrTable('trial_user_attrs', 'trial')}
${attrTable('trial_system_attrs', 'trial')}
CREATE TABLE ${s}.tunable_requests (
  request_id  uuid PRIMARY KEY,
  result      json,
  created_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX tunable_requests_created ON ${s}.tunable_requests USING brin (created_at);

-- Deletes request ids older than the retention, skipping rows another session is deleting.
CREATE FUNCTION ${s}.tunable_purge_requests() RETURNS void LANGUAGE sql AS $fn$
  DELETE FROM ${s}.tunable_requests WHERE request_id IN (
    SELECT request_id FROM ${s}.tunable_requests
    WHERE created_at < clock_timestamp() - ${REQUEST_RETENTION} LIMIT 2000 FOR UPDATE SKIP LOCKED);
$fn$;

-- The full trial (trialJson) or null. plpgsql rather than sql: its plan is kept for the session.
CREATE FUNCTION ${s}.tunable_trial(p_trial bigint) RETURNS json LANGUAGE plpgsql STABLE AS $fn$
BEGIN
  RETURN (SELECT ${trialJson(s, 't')} FROM ${s}.trials t WHERE t.trial_id = p_trial);
END
$fn$;

-- The prologue of every write to a trial: locks its study's row, bumps the study's seq and stamps it on
-- the trial, which must be unfinished; with p_state, also finishes it (datetime_complete = now).
-- Raises trialNotFound / trialFinished. Returns the trial's number and the study's number of objectives.
CREATE FUNCTION ${s}.tunable_touch(p_trial bigint, p_state text, OUT o_number integer, OUT o_objectives integer)
LANGUAGE plpgsql AS $fn$
DECLARE
  v_study bigint;
  v_seq bigint;
  v_state text;
BEGIN
  SELECT t.study_id INTO v_study FROM ${s}.trials t WHERE t.trial_id = p_trial;
  IF NOT FOUND THEN ${raise(PG_ERRORS.trialNotFound, `json_build_object('trial', p_trial)`)}; END IF;
  UPDATE ${s}.studies SET seq = seq + 1 WHERE study_id = v_study RETURNING seq, n_objectives INTO v_seq, o_objectives;
  IF NOT FOUND THEN ${raise(PG_ERRORS.trialNotFound, `json_build_object('trial', p_trial)`)}; END IF;
  UPDATE ${s}.trials SET seq = v_seq, state = coalesce(p_state, state),
         datetime_complete = CASE WHEN p_state IS NULL THEN datetime_complete ELSE clock_timestamp() END
   WHERE trial_id = p_trial AND ${unfinished} RETURNING number INTO o_number;
  IF NOT FOUND THEN
    SELECT t.number, t.state INTO o_number, v_state FROM ${s}.trials t WHERE t.trial_id = p_trial;
    IF NOT FOUND THEN ${raise(PG_ERRORS.trialNotFound, `json_build_object('trial', p_trial)`)}; END IF;
    ${raise(PG_ERRORS.trialFinished, `json_build_object('trial', p_trial, 'number', o_number, 'state', v_state)`)};
  END IF;
END
$fn$;

${writeFunction(s, 'tunable_create_study', 'p_name text, p_directions text, p_objectives integer', `
  v_id bigint;`, `
  INSERT INTO ${s}.studies (study_name, directions, n_objectives) VALUES (p_name, p_directions, p_objectives)
    ON CONFLICT (study_name) DO NOTHING RETURNING study_id INTO v_id;
  IF v_id IS NULL THEN ${raise(PG_ERRORS.duplicatedStudy, `json_build_object('name', p_name)`)}; END IF;
  v_result := to_json(v_id);`)}

${writeFunction(s, 'tunable_delete_study', 'p_study bigint', '', `
  DELETE FROM ${s}.studies WHERE study_id = p_study;
  IF NOT FOUND THEN ${raise(PG_ERRORS.studyNotFound, `json_build_object('study', p_study)`)}; END IF;`)}

-- p_if_absent: true when the call set the value (false: the key was there and nothing changed).
${writeFunction(s, 'tunable_set_study_attr', 'p_system boolean, p_if_absent boolean, p_study bigint, p_key text, p_value text', '', `
  PERFORM 1 FROM ${s}.studies WHERE study_id = p_study FOR KEY SHARE;
  IF NOT FOUND THEN ${raise(PG_ERRORS.studyNotFound, `json_build_object('study', p_study)`)}; END IF;
  IF p_system AND p_if_absent THEN
    INSERT INTO ${s}.study_system_attrs (study_id, key, value_json) VALUES (p_study, p_key, p_value)
      ON CONFLICT (study_id, key) DO NOTHING;
  ELSIF p_system THEN
    INSERT INTO ${s}.study_system_attrs (study_id, key, value_json) VALUES (p_study, p_key, p_value)
      ON CONFLICT (study_id, key) DO UPDATE SET value_json = EXCLUDED.value_json;
  ELSE
    INSERT INTO ${s}.study_user_attrs (study_id, key, value_json) VALUES (p_study, p_key, p_value)
      ON CONFLICT (study_id, key) DO UPDATE SET value_json = EXCLUDED.value_json;
  END IF;
  v_result := to_json(FOUND);`)}

-- Numbers the trial under the study row's lock (a rollback leaves no gap). Returns
-- [trial_id, number, start_ms, seq].
${writeFunction(
  s,
  'tunable_create_trial',
  `p_study bigint, p_state text, p_names text[], p_internals float8[], p_distributions text[],
  p_user_keys text[], p_user_values text[], p_system_keys text[], p_system_values text[]`,
  `
  v_id bigint;
  v_number integer;
  v_seq bigint;
  v_start timestamptz;`,
  `
  UPDATE ${s}.studies SET next_number = next_number + 1, seq = seq + 1 WHERE study_id = p_study
    RETURNING next_number - 1, seq INTO v_number, v_seq;
  IF NOT FOUND THEN ${raise(PG_ERRORS.studyNotFound, `json_build_object('study', p_study)`)}; END IF;
  IF p_state = 'RUNNING' THEN v_start := clock_timestamp(); END IF;
  INSERT INTO ${s}.trials (study_id, number, state, datetime_start, seq) VALUES (p_study, v_number, p_state, v_start, v_seq)
    RETURNING trial_id INTO v_id;
  IF cardinality(p_names) > 0 THEN
    INSERT INTO ${s}.trial_params (trial_id, name, internal, distribution)
      SELECT v_id, u.n, u.i, u.d FROM unnest(p_names, p_internals, p_distributions) WITH ORDINALITY AS u(n, i, d, o) ORDER BY u.o;
  END IF;
  IF cardinality(p_user_keys) > 0 THEN
    INSERT INTO ${s}.trial_user_attrs (trial_id, key, value_json)
      SELECT v_id, u.k, u.v FROM unnest(p_user_keys, p_user_values) WITH ORDINALITY AS u(k, v, o) ORDER BY u.o;
  END IF;
  IF cardinality(p_system_keys) > 0 THEN
    INSERT INTO ${s}.trial_system_attrs (trial_id, key, value_json)
      SELECT v_id, u.k, u.v FROM unnest(p_system_keys, p_system_values) WITH ORDINALITY AS u(k, v, o) ORDER BY u.o;
  END IF;
  v_result := json_build_array(v_id, v_number, ${ms('v_start')}, v_seq);`,
)}

-- The oldest WAITING trial, now RUNNING (trialJson), or null. Looks without locking first: the usual
-- answer, "none", takes no lock and bumps nothing.
${writeFunction(s, 'tunable_claim_waiting', 'p_study bigint', `
  v_waiting boolean;
  v_seq bigint;
  v_id bigint;`, `
  SELECT EXISTS (SELECT 1 FROM ${s}.trials t WHERE t.study_id = p_study AND t.state = 'WAITING') INTO v_waiting
    FROM ${s}.studies WHERE study_id = p_study;
  IF NOT FOUND THEN ${raise(PG_ERRORS.studyNotFound, `json_build_object('study', p_study)`)}; END IF;
  IF NOT v_waiting THEN RETURN NULL; END IF;
  SELECT seq + 1 INTO v_seq FROM ${s}.studies WHERE study_id = p_study FOR NO KEY UPDATE;
  IF NOT FOUND THEN ${raise(PG_ERRORS.studyNotFound, `json_build_object('study', p_study)`)}; END IF;
  SELECT t.trial_id INTO v_id FROM ${s}.trials t WHERE t.study_id = p_study AND t.state = 'WAITING' ORDER BY t.number LIMIT 1;
  IF NOT FOUND THEN RETURN NULL; END IF;
  UPDATE ${s}.studies SET seq = v_seq WHERE study_id = p_study;
  UPDATE ${s}.trials SET state = 'RUNNING', datetime_start = clock_timestamp(), seq = v_seq WHERE trial_id = v_id;
  v_result := ${s}.tunable_trial(v_id);`)}

${writeFunction(s, 'tunable_set_trial_param', 'p_trial bigint, p_name text, p_internal float8, p_distribution text', '', `
  PERFORM ${s}.tunable_touch(p_trial, NULL);
  INSERT INTO ${s}.trial_params (trial_id, name, internal, distribution) VALUES (p_trial, p_name, p_internal, p_distribution)
    ON CONFLICT (trial_id, name) DO UPDATE SET internal = EXCLUDED.internal
    WHERE ${s}.trial_params.distribution = EXCLUDED.distribution;
  IF NOT FOUND THEN ${raise(PG_ERRORS.paramConflict, `json_build_object('trial', p_trial, 'name', p_name)`)}; END IF;`, true)}

-- Several parameters at once (setTrialParams): all stored or none, in order.
${writeFunction(s, 'tunable_set_trial_params', 'p_trial bigint, p_names text[], p_internals float8[], p_distributions text[]', `
  i integer;`, `
  PERFORM ${s}.tunable_touch(p_trial, NULL);
  FOR i IN 1 .. coalesce(cardinality(p_names), 0) LOOP
    INSERT INTO ${s}.trial_params (trial_id, name, internal, distribution) VALUES (p_trial, p_names[i], p_internals[i], p_distributions[i])
      ON CONFLICT (trial_id, name) DO UPDATE SET internal = EXCLUDED.internal
      WHERE ${s}.trial_params.distribution = EXCLUDED.distribution;
    IF NOT FOUND THEN ${raise(PG_ERRORS.paramConflict, `json_build_object('trial', p_trial, 'name', p_names[i])`)}; END IF;
  END LOOP;`, true)}

${writeFunction(s, 'tunable_set_trial_state', 'p_trial bigint, p_state text, p_values float8[]', `
  v_number integer;
  v_objectives integer;`, `
  SELECT o_number, o_objectives INTO v_number, v_objectives FROM ${s}.tunable_touch(p_trial, p_state);
  IF (p_values IS NULL AND p_state = 'COMPLETE') OR (p_values IS NOT NULL AND cardinality(p_values) <> v_objectives) THEN
    ${raise(PG_ERRORS.valuesCount, `json_build_object('objectives', v_objectives)`)};
  END IF;
  IF p_values IS NOT NULL THEN
    INSERT INTO ${s}.trial_values (trial_id, objective, value)
      SELECT p_trial, u.o - 1, u.v FROM unnest(p_values) WITH ORDINALITY AS u(v, o);
  END IF;`)}

${writeFunction(s, 'tunable_set_intermediate', 'p_trial bigint, p_step bigint, p_value float8', `
  v_number integer;`, `
  SELECT o_number INTO v_number FROM ${s}.tunable_touch(p_trial, NULL);
  INSERT INTO ${s}.trial_intermediate_values (trial_id, step, value) VALUES (p_trial, p_step, p_value)
    ON CONFLICT (trial_id, step) DO NOTHING;
  IF NOT FOUND THEN ${raise(PG_ERRORS.stepTaken, `json_build_object('number', v_number, 'step', p_step)`)}; END IF;`, true)}

${writeFunction(s, 'tunable_set_trial_attr', 'p_system boolean, p_trial bigint, p_key text, p_value text', '', `
  PERFORM ${s}.tunable_touch(p_trial, NULL);
  IF p_system THEN
    INSERT INTO ${s}.trial_system_attrs (trial_id, key, value_json) VALUES (p_trial, p_key, p_value)
      ON CONFLICT (trial_id, key) DO UPDATE SET value_json = EXCLUDED.value_json;
  ELSE
    INSERT INTO ${s}.trial_user_attrs (trial_id, key, value_json) VALUES (p_trial, p_key, p_value)
      ON CONFLICT (trial_id, key) DO UPDATE SET value_json = EXCLUDED.value_json;
  END IF;`, true)}

-- Enqueues the retry of trial p_trial (number p_number), just failed as stale in the caller's transaction,
-- when its lineage (system attr retryHistory: its integers, [] when absent) is shorter than p_max_retry
-- (NULL: no limit): a WAITING trial with the study's next number and seq p_seq, a copy of its params (in
-- their order), retriedFrom and retryHistory, and with p_inherit_user its user attributes. The caller holds
-- the study row's lock (StaleRetry in base.ts).
CREATE FUNCTION ${s}.tunable_retry_stale(p_study bigint, p_seq bigint, p_trial bigint, p_number integer, p_max_retry integer, p_inherit_user boolean)
RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
  v_lineage jsonb;
  v_number integer;
  v_id bigint;
BEGIN
  SELECT coalesce(jsonb_agg(x.e ORDER BY x.o), '[]'::jsonb) INTO v_lineage
    FROM ${s}.trial_system_attrs a,
         jsonb_array_elements(CASE WHEN jsonb_typeof(a.value_json::jsonb) = 'array' THEN a.value_json::jsonb ELSE '[]'::jsonb END)
           WITH ORDINALITY AS x(e, o)
   WHERE a.trial_id = p_trial AND a.key = 'retryHistory'
     AND CASE WHEN jsonb_typeof(x.e) = 'number' THEN (x.e::text)::numeric % 1 = 0 ELSE false END;
  IF p_max_retry IS NOT NULL AND jsonb_array_length(v_lineage) >= p_max_retry THEN RETURN; END IF;
  UPDATE ${s}.studies SET next_number = next_number + 1 WHERE study_id = p_study RETURNING next_number - 1 INTO v_number;
  INSERT INTO ${s}.trials (study_id, number, state, datetime_start, seq) VALUES (p_study, v_number, 'WAITING', NULL, p_seq)
    RETURNING trial_id INTO v_id;
  INSERT INTO ${s}.trial_params (trial_id, name, internal, distribution)
    SELECT v_id, p.name, p.internal, p.distribution FROM ${s}.trial_params p WHERE p.trial_id = p_trial ORDER BY p.id;
  IF p_inherit_user THEN
    INSERT INTO ${s}.trial_user_attrs (trial_id, key, value_json)
      SELECT v_id, a.key, a.value_json FROM ${s}.trial_user_attrs a WHERE a.trial_id = p_trial ORDER BY a.id;
  END IF;
  INSERT INTO ${s}.trial_system_attrs (trial_id, key, value_json)
    VALUES (v_id, 'retriedFrom', to_json(p_number)::text), (v_id, 'retryHistory', (v_lineage || to_jsonb(p_number))::text);
END
$fn$;

-- Fails every RUNNING trial of the study silent for strictly longer than p_older_ms (server clock), under
-- the study row's lock, so each stale trial is failed by exactly one caller. Silence is measured from the
-- later of the trial's last beat (or start) and the server's start: after a restart every trial gets a
-- fresh threshold, so that an outage longer than it fails no live trial before its beat thread has
-- reconnected. With p_retry, each trial failed is retried in the same transaction (tunable_retry_stale).
-- Returns the numbers of the trials failed. The reason's wording is staleReason() of common.ts.
${writeFunction(s, 'tunable_fail_stale', 'p_study bigint, p_older_ms float8, p_retry boolean, p_max_retry integer, p_inherit_user boolean', `
  v_seq bigint;
  v_now timestamptz;
  v_since timestamptz;
  v_ids bigint[];
  v_numbers integer[];`, `
  SELECT seq + 1 INTO v_seq FROM ${s}.studies WHERE study_id = p_study FOR NO KEY UPDATE;
  IF NOT FOUND THEN ${raise(PG_ERRORS.studyNotFound, `json_build_object('study', p_study)`)}; END IF;
  v_now := clock_timestamp();
  v_since := pg_postmaster_start_time();
  WITH stale AS (
    UPDATE ${s}.trials t SET state = 'FAIL', datetime_complete = v_now, seq = v_seq
     WHERE t.study_id = p_study AND t.state = 'RUNNING'
       AND (extract(epoch FROM v_now - greatest(coalesce(t.heartbeat, t.datetime_start, 'epoch'), v_since)) * 1000)::float8 > p_older_ms
    RETURNING t.trial_id, t.number, ${ms(`greatest(coalesce(t.heartbeat, t.datetime_start, 'epoch'), v_since)`)} AS last_ms
  ), reasons AS (
    INSERT INTO ${s}.trial_system_attrs (trial_id, key, value_json)
    SELECT stale.trial_id, 'failReason', to_json(format('Stale trial: no heartbeat for %s ms (limit %s ms); its worker is presumed dead',
                                                     ${ms('v_now')} - stale.last_ms, p_older_ms))::text
      FROM stale
    ON CONFLICT (trial_id, key) DO UPDATE SET value_json = EXCLUDED.value_json
  )
  SELECT array_agg(stale.trial_id ORDER BY stale.number), array_agg(stale.number ORDER BY stale.number) INTO v_ids, v_numbers FROM stale;
  IF v_ids IS NULL THEN
    v_result := '[]'::json;
  ELSE
    UPDATE ${s}.studies SET seq = v_seq WHERE study_id = p_study;
    IF p_retry THEN
      FOR i IN 1 .. cardinality(v_ids) LOOP
        PERFORM ${s}.tunable_retry_stale(p_study, v_seq, v_ids[i], v_numbers[i], p_max_retry, p_inherit_user);
      END LOOP;
    END IF;
    v_result := to_json(v_numbers);
  END IF;`)}
`;
}

/** @internal The migrations, in order. */
export const PG_MIGRATIONS: readonly PgMigration[] = Object.freeze([
  { version: 1, description: 'initial schema: tables, request ids, write functions', up: version1 },
]);

export const PG_SCHEMA_VERSION = PG_MIGRATIONS[PG_MIGRATIONS.length - 1]!.version;

/** What a schema holds, read in one statement. */
interface SchemaState {
  readonly exists: boolean;
  /** tunable_meta is there. */
  readonly tunable: boolean;
  /** It holds relations or functions. */
  readonly nonEmpty: boolean;
}

const INSPECT = `
  SELECT n.oid IS NOT NULL AS exists,
         to_regclass(format('%I.tunable_meta', x.name)) IS NOT NULL AS tunable,
         (EXISTS (SELECT 1 FROM pg_class c WHERE c.relnamespace = n.oid)
          OR EXISTS (SELECT 1 FROM pg_proc p WHERE p.pronamespace = n.oid)) AS "nonEmpty"
    FROM (SELECT $1::text AS name) x LEFT JOIN pg_namespace n ON n.nspname = x.name`;

/** Two int4 keys of an advisory lock: a namespace and a 32-bit FNV-1a hash of `text`. */
export function lockKeys(namespace: number, text: string): [number, number] {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    h ^= byte;
    h = Math.imul(h, 0x01000193);
  }
  return [namespace | 0, h | 0];
}

/** Advisory-lock namespaces ("TUNA" and "TUNB" as int4). */
export const LOCK_NAMESPACE = Object.freeze({ migrate: 0x54554e41, study: 0x54554e42 });

/**
 * Brings `schema` to the last version of `migrations`, creating it when missing: one transaction under
 * `pg_advisory_xact_lock`, which re-reads the version once it holds the lock (so processes opening a fresh
 * schema together migrate it once; a failing migration rolls back entirely). A schema from a newer tunable,
 * or a non-empty schema without tunable_meta, is refused with a StorageError and left as it is.
 * `where` names the database in messages. Returns the versions before and after.
 */
export async function migrate(
  client: pg.ClientBase,
  schema: string,
  where: string,
  migrations: readonly PgMigration[] = PG_MIGRATIONS,
): Promise<{ from: number; to: number }> {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new StorageError(`Migration list is not numbered 1..n (entry ${i} has version ${m.version})`);
  });
  const latest = migrations.length;
  const s = quoteIdent(schema);
  const version = async (): Promise<{ state: SchemaState; version: number }> => {
    const state = (await client.query<SchemaState>(INSPECT, [schema])).rows[0]!;
    if (!state.tunable) {
      if (state.nonEmpty) {
        throw new StorageError(
          `The schema ${JSON.stringify(schema)} of ${where} is not a tunable schema (it has tables or functions but no tunable_meta); ` +
            'pick an empty or new schema with ?schema=NAME',
        );
      }
      return { state, version: 0 };
    }
    let row: { application_id: string; schema_version: number } | undefined;
    try {
      row = (await client.query<{ application_id: string; schema_version: number }>(`SELECT application_id, schema_version FROM ${s}.tunable_meta`)).rows[0];
    } catch (e) {
      if ((e as { code?: unknown }).code === '42703') row = undefined;  // a tunable_meta of another shape
      else throw e;
    }
    if (row === undefined || row.application_id !== APPLICATION_ID) {
      throw new StorageError(`The schema ${JSON.stringify(schema)} of ${where} is not a tunable schema (its tunable_meta is not tunable's)`);
    }
    if (row.schema_version > latest) {
      throw new StorageError(
        `The schema ${JSON.stringify(schema)} of ${where} has tunable schema version ${row.schema_version}, newer than the version ${latest} ` +
          'this tunable supports; upgrade tunable to open it',
      );
    }
    return { state, version: row.schema_version };
  };
  const before = await version();
  if (before.version === latest) return { from: latest, to: latest };
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1, $2)', lockKeys(LOCK_NAMESPACE.migrate, schema));
    const now = await version(); // re-read under the lock: another process may have migrated meanwhile
    if (!now.state.exists) await client.query(`CREATE SCHEMA ${s}`);
    for (const m of migrations) if (m.version > now.version) await client.query(m.up(s));
    if (now.version !== latest) {
      await client.query(
        `INSERT INTO ${s}.tunable_meta (application_id, schema_version) VALUES ($1, $2)
         ON CONFLICT (singleton) DO UPDATE SET schema_version = EXCLUDED.schema_version`,
        [APPLICATION_ID, latest],
      );
    }
    await client.query('COMMIT');
    return { from: now.version, to: latest };
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------------
// The statements of postgres.ts: a call of a write function each, or a read in one statement (one snapshot).

/** A named statement: prepared once per connection, then sent as Bind/Execute only. */
export interface Statement {
  readonly name: string;
  readonly text: string;
  /** A write that commits without waiting for the WAL flush (`writeFunction` above). */
  readonly lazy: boolean;
}

const UNFINISHED = `state IN ('RUNNING', 'WAITING')`;

/** Every statement the storage sends, with the schema quoted into the text. */
export function statements(s: string) {
  const q = (name: string, text: string, lazy = false): Statement => Object.freeze({ name: `tunable_${name}`, text, lazy });
  const fn = (name: string, n: number, lazy = false): Statement =>
    q(name, `SELECT ${s}.tunable_${name}(${Array.from({ length: n }, (_, i) => `$${i + 1}`).join(', ')}) AS r`, lazy);
  const attrs = (table: string, owner: string, alias: string) =>
    `(SELECT json_agg(json_build_array(a.key, a.value_json) ORDER BY a.id) FROM ${s}.${table} a WHERE a.${owner}_id = ${alias}.${owner}_id)`;
  return Object.freeze({
    createStudy: fn('create_study', 4),
    deleteStudy: fn('delete_study', 2),
    setStudyAttr: fn('set_study_attr', 6),
    createTrial: fn('create_trial', 10),
    claimWaiting: fn('claim_waiting', 2),
    setTrialParam: fn('set_trial_param', 5, true),
    setTrialParams: fn('set_trial_params', 5, true),
    setTrialState: fn('set_trial_state', 4),
    setIntermediate: fn('set_intermediate', 4, true),
    setTrialAttr: fn('set_trial_attr', 5, true),
    failStale: fn('fail_stale', 6),
    // What a request recorded (its row, with a null result for a function that returns null), or no row.
    requestResult: q('request_result', `SELECT result AS r FROM ${s}.tunable_requests WHERE request_id = $1`),
    studyIdByName: q('study_id_by_name', `SELECT study_id FROM ${s}.studies WHERE study_name = $1`),
    studyName: q('study_name', `SELECT study_name FROM ${s}.studies WHERE study_id = $1`),
    directions: q('directions', `SELECT directions FROM ${s}.studies WHERE study_id = $1`),
    studyUserAttrs: q('study_user_attrs', `SELECT ${attrs('study_user_attrs', 'study', 'st')} AS attrs FROM ${s}.studies st WHERE st.study_id = $1`),
    studySystemAttrs: q('study_system_attrs', `SELECT ${attrs('study_system_attrs', 'study', 'st')} AS attrs FROM ${s}.studies st WHERE st.study_id = $1`),
    // The trial, unless its seq is still $2 (the caller's cached copy is current): one primary-key probe.
    trial: q('trial', `SELECT t.seq, CASE WHEN t.seq = $2 THEN NULL ELSE ${trialJson(s, 't')} END AS trial FROM ${s}.trials t WHERE t.trial_id = $1`),
    // The study's seq and the trials changed since $2, in one snapshot; no row: no such study.
    changed: q(
      'changed',
      `SELECT st.seq AS study_seq, CASE WHEN t.trial_id IS NULL THEN NULL ELSE ${trialJson(s, 't')} END AS trial
         FROM ${s}.studies st LEFT JOIN ${s}.trials t ON t.study_id = st.study_id AND t.seq > $2
        WHERE st.study_id = $1`,
    ),
    heartbeat: q(
      'heartbeat',
      `WITH beat AS (UPDATE ${s}.trials SET heartbeat = clock_timestamp() WHERE trial_id = $1 AND ${UNFINISHED} RETURNING 1)
       SELECT EXISTS (SELECT 1 FROM beat) AS beat, t.number, t.state FROM (VALUES (1)) one LEFT JOIN ${s}.trials t ON t.trial_id = $1`,
    ),
    allStudies: q(
      'all_studies',
      `SELECT st.study_id, st.study_name, st.directions,
              (SELECT count(*) FROM ${s}.trials t WHERE t.study_id = st.study_id) AS n,
              (SELECT ${ms('min(t.datetime_start)')} FROM ${s}.trials t WHERE t.study_id = st.study_id) AS start_ms,
              ${attrs('study_user_attrs', 'study', 'st')} AS attrs,
              (SELECT ${trialJson(s, 'b')} FROM ${s}.trials b JOIN ${s}.trial_values v ON v.trial_id = b.trial_id AND v.objective = 0
                WHERE b.study_id = st.study_id AND b.state = 'COMPLETE' AND st.n_objectives = 1
                ORDER BY CASE WHEN st.directions = '["maximize"]' THEN -v.value ELSE v.value END, b.number LIMIT 1) AS best
         FROM ${s}.studies st ORDER BY st.study_id`,
    ),
    beatMany: `UPDATE ${s}.trials SET heartbeat = clock_timestamp() WHERE trial_id = ANY($1::bigint[]) AND ${UNFINISHED}`,
  });
}

export type Statements = ReturnType<typeof statements>;
