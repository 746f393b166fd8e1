-- Up Migration
-- Scheduled photo backups (VK, OK): every photo a schedule has backed up, with the name it was given.
-- Later runs keep that name (likes change; the file must not be copied again under a new one), give
-- new photos names no earlier photo holds, and write a report of every photo backed up so far.
create table if not exists photo_backup_ledger (
  ledger_id text not null,
  key text not null,
  file_name text not null,
  size text not null,
  photo_date bigint not null,
  photo_id text not null,
  first_backed_up_at timestamptz not null default now(),
  last_backed_up_at timestamptz not null default now(),
  primary key (ledger_id, key)
);

-- Down Migration
drop table if exists photo_backup_ledger;
