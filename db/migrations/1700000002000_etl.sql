-- Up Migration
-- Daily ETL (issue 6): IT Resume attempts, the rejected items, and one row per loaded window.

-- One row per window a run loaded. run_key (workflow id + window start) makes every activity of a
-- window idempotent: a retried load finds its own committed counts instead of loading twice.
create table etl_runs (
  id bigserial primary key,
  run_key text not null unique,
  workflow_id text not null,
  trigger text not null check (trigger in ('schedule', 'manual', 'backfill')),
  window_start timestamp not null,
  window_end timestamp not null,
  status text not null default 'running' check (status in ('running', 'succeeded', 'failed')),
  fetched integer,
  inserted integer,
  duplicates integer,
  rejected integer,
  download_ms integer,
  load_ms integer,
  started_at timestamptz not null default now(),
  loaded_at timestamptz,
  finished_at timestamptz,
  error text
);
create index etl_runs_workflow_idx on etl_runs (workflow_id);

-- The natural key (created_at, lti_user_id, attempt_type) is the primary key: the same user cannot
-- make two attempts of one kind in the same microsecond, so a record seen again (a re-run, the
-- lookback overlap) is the same attempt. created_at leads so the key's index also serves the per-day
-- aggregates; no surrogate id, so a bulk load maintains one index, not two.
create table etl_attempts (
  created_at timestamp(6) not null,
  lti_user_id char(32) not null,
  attempt_type text not null check (attempt_type in ('run', 'submit')),
  is_correct smallint check (
    (attempt_type = 'run' and is_correct is null) or (attempt_type = 'submit' and is_correct in (0, 1))
  ),
  oauth_consumer_key text,
  lis_result_sourcedid text,
  lis_outcome_service_url text,
  extra_params jsonb,
  -- The run that first loaded the row. Deliberately no foreign key: a bulk load of a million rows
  -- would fire a per-row constraint trigger (measured: +60% merge time).
  run_id bigint,
  constraint etl_attempts_natural_key primary key (created_at, lti_user_id, attempt_type)
);

-- Items that failed validation, kept with the raw text and the reason; raw_hash keeps a re-run from
-- storing the same bad item twice.
create table etl_rejected (
  id bigserial primary key,
  raw_hash text not null unique,
  raw text not null,
  reason text not null,
  run_id bigint references etl_runs (id),
  rejected_at timestamptz not null default now()
);

-- Down Migration
drop table if exists etl_rejected;
drop table if exists etl_attempts;
drop table if exists etl_runs;
