-- Up Migration
-- Ferry's schema starts here; each job adds its own numbered migration beside this one.
create table if not exists ferry_meta (key text primary key, value text not null);
insert into ferry_meta (key, value) values ('schema_owner', 'ferry') on conflict do nothing;

-- Down Migration
drop table if exists ferry_meta;
