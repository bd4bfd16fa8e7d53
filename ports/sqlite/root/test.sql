-- SPDX-License-Identifier: MIT
-- SQLite's shell on spore against the same source on Linux (ports/sqlite/test.sh):
-- run as "sqlite3 DIR/t.db '.read test.sql' '.open DIR/t.db' '.read reopen.sql'", the output
-- must be the same.
.headers on
.mode list
PRAGMA journal_mode;
PRAGMA page_size = 1024;
CREATE TABLE city (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, country TEXT, pop INTEGER);
CREATE INDEX city_country ON city (country);
BEGIN;
INSERT INTO city (name, country, pop) VALUES
  ('Paris', 'FR', 2161000), ('Lyon', 'FR', 513275), ('Berlin', 'DE', 3645000),
  ('Hamburg', 'DE', 1841000), ('Madrid', 'ES', 3223000), ('Oslo', 'NO', 697010);
COMMIT;
SELECT country, count(*) AS n, sum(pop) AS total FROM city GROUP BY country ORDER BY total DESC;
BEGIN;
DELETE FROM city WHERE country = 'DE';
SELECT count(*) AS during FROM city;
ROLLBACK;
SELECT count(*) AS after_rollback FROM city;
SELECT name, pop, rank() OVER (ORDER BY pop DESC) AS r FROM city ORDER BY r LIMIT 3;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10)
  SELECT group_concat(i * i, ',') AS squares FROM n;
CREATE TABLE visit (city_id INTEGER REFERENCES city(id), day TEXT, note BLOB);
INSERT INTO visit SELECT id, date('2024-02-28', '+' || id || ' days'), randomblob(0) FROM city;
SELECT c.name, v.day, strftime('%w', v.day) AS dow FROM city c JOIN visit v ON v.city_id = c.id ORDER BY v.day;
CREATE VIEW big AS SELECT name FROM city WHERE pop > 2000000;
CREATE TRIGGER city_log AFTER UPDATE ON city BEGIN
  INSERT INTO visit VALUES (new.id, 'updated', x'cafe'); END;
UPDATE city SET pop = pop + 1 WHERE name = 'Oslo';
SELECT * FROM big ORDER BY name;
SELECT city_id, day, hex(note) FROM visit WHERE day = 'updated';
SELECT printf('%5.2f|%-6s|%x', 3.14159, 'ab', 255) AS fmt, json_object('a', 1, 'b', json_array(2, 3)) AS js;
SELECT julianday('2000-01-01 12:00:00'), datetime(0, 'unixepoch'), upper(substr('spore', 2, 3));
SAVEPOINT sp; INSERT INTO city (name) VALUES ('Nowhere'); ROLLBACK TO sp; RELEASE sp;
SELECT count(*) AS cities FROM city;
CREATE TABLE big_t (k INTEGER PRIMARY KEY, v TEXT);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)
  INSERT INTO big_t SELECT i, hex(zeroblob(50)) || i FROM n;
SELECT count(*), sum(length(v)), max(k) FROM big_t;
DELETE FROM big_t WHERE k % 2 = 0;
VACUUM;
PRAGMA integrity_check;
SELECT count(*) AS left_after_vacuum FROM big_t;
