-- Up Migration
-- The copy engine: plans are stored once and read by page (a 20,000-item plan never travels as one
-- Temporal payload), and every item's outcome per destination is kept for the report.
create table if not exists copy_plans (
  plan_id text primary key,
  total integer not null,
  total_bytes bigint not null,
  created_at timestamptz not null default now()
);

create table if not exists copy_plan_items (
  plan_id text not null references copy_plans (plan_id) on delete cascade,
  seq integer not null,
  key text not null,
  rel_path text not null,
  source_url text not null,
  size bigint,
  crc32 text,
  md5 text,
  mime_type text,
  publicly_fetchable boolean not null default false,
  primary key (plan_id, seq)
);

-- One row per (plan, destination, item): the latest outcome wins, so re-running a plan updates it.
create table if not exists copy_results (
  plan_id text not null,
  destination_key text not null,
  key text not null,
  seq integer not null,
  rel_path text not null,
  status text not null check (status in ('copied', 'already_there', 'failed')),
  bytes bigint not null default 0,
  md5 text,
  crc32 text,
  destination_id text,
  destination_path text,
  renamed_from text,
  error_type text,
  error_message text,
  updated_at timestamptz not null default now(),
  primary key (plan_id, destination_key, key)
);
create index if not exists copy_results_by_status on copy_results (plan_id, destination_key, status, seq);

-- Down Migration
drop table if exists copy_results;
drop table if exists copy_plan_items;
drop table if exists copy_plans;
