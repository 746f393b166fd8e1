-- Up Migration
-- Resumable uploads in flight (issue 14), one row per plan item and destination, next to the item's
-- row: written when an upload session is opened (before its first byte is sent) and once per chunk
-- the destination confirms, so the next attempt, on any worker, after any crash, continues the same
-- session. Heartbeats are throttled by the SDK; this table is not.
create table if not exists copy_upload_checkpoints (
  plan_id text not null,
  seq integer not null,
  destination_key text not null,
  -- The item the row belongs to: a plan saved again under the same id starts from nothing.
  item_key text not null,
  -- The file name chosen at the destination (a suffixed one when the wanted name was taken).
  name text not null,
  -- The session, AES-256-GCM sealed with FERRY_ENCRYPTION_KEY (a Drive session URI accepts bytes
  -- into the user's Drive without any other credential): the key id, then iv | ciphertext | tag.
  session_key_id text not null,
  session bytea not null,
  confirmed_offset bigint not null default 0,
  total bigint,
  -- Attempts that started from this session without confirming a byte more: one that keeps failing
  -- is abandoned for a fresh session.
  resumes integer not null default 0,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (plan_id, destination_key, seq),
  foreign key (plan_id, seq) references copy_plan_items (plan_id, seq) on delete cascade
);

-- Down Migration
drop table if exists copy_upload_checkpoints;
