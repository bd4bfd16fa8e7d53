-- SPDX-License-Identifier: MIT
-- The database again, through a new connection (.open): what test.sql committed is there.
SELECT name FROM sqlite_schema WHERE type IN ('table', 'view', 'trigger') ORDER BY name;
SELECT count(*) AS reopened FROM city;
PRAGMA integrity_check;
-- A constraint error is reported with its line, and the shell's status is 1.
INSERT INTO city (name, country, pop) VALUES ('Paris', 'US', 25000);
SELECT 'the script goes on after an error';
