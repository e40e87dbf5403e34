-- CXR Desktop on a clinic's PostgreSQL server: the database and its least-privilege roles.
-- Run by setup_clinic_server.sh as the server's superuser (re-running it is harmless):
--   psql -v dbname=cxr -v owner_password=... -v app_password=... -f roles.sql
--
--   cxr_owner       owns the database and its tables; runs the schema migrations
--                   (cxr-desktop history migrate --to postgresql://cxr_owner@...). Not for PCs.
--   cxr_clinic_app  NOLOGIN group: what a PC may do. Granted by the migrations themselves:
--                   readings and images read/write, accounts read/write, audit SELECT and
--                   INSERT only (no UPDATE, DELETE or TRUNCATE: the trail is append-only),
--                   site calibrations added and rolled back only, a reading's DICOM facts
--                   SELECT and INSERT only (written once with the reading, gone with it).
--   cxr_app         the login the PCs use, a member of cxr_clinic_app and nothing else.
\set ON_ERROR_STOP on

SELECT 'CREATE ROLE cxr_owner LOGIN'
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'cxr_owner')\gexec
SELECT 'CREATE ROLE cxr_clinic_app NOLOGIN'
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'cxr_clinic_app')\gexec
SELECT 'CREATE ROLE cxr_app LOGIN'
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'cxr_app')\gexec
ALTER ROLE cxr_owner LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'owner_password';
ALTER ROLE cxr_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE INHERIT PASSWORD :'app_password';
GRANT cxr_clinic_app TO cxr_app;

SELECT format('CREATE DATABASE %I OWNER cxr_owner ENCODING ''UTF8'' TEMPLATE template0', :'dbname')
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'dbname')\gexec
SELECT format('REVOKE ALL ON DATABASE %I FROM PUBLIC', :'dbname')\gexec
SELECT format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO cxr_clinic_app', :'dbname')\gexec
SELECT format('GRANT ALL ON DATABASE %I TO cxr_owner', :'dbname')\gexec

\connect :dbname
-- Only the owner creates objects; the trigram index's extension is made here (superuser).
ALTER SCHEMA public OWNER TO cxr_owner;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO cxr_clinic_app;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
