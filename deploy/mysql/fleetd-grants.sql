-- A SELECT-only MySQL/MariaDB account for fleetd, on exactly the six jetmon
-- tables it reads: no other table, no write, no DDL, no global privilege.
--
-- Before running it as an administrator, replace
--   `jetmon`      the jetmon database (6 places),
--   '%'           the host pattern: better the address(es) of the fleetd hosts,
--   'change-me'   the password (then put the same in /etc/fleetd/db-password),
-- then:
--   mysql -u root -p < deploy/mysql/fleetd-grants.sql
--
-- Behind a replica, run it on the primary: accounts and grants replicate.
-- Running it again is harmless, but it does not change the password of an
-- existing account: rotate it with ALTER USER 'fleetd'@'%' IDENTIFIED BY '...'
-- and update /etc/fleetd/db-password (then `systemctl restart fleetd`).
--
-- fleetd/tests/deploy/grants.rs runs this very file (with a scratch
-- database, a unique account and a random password) and shows that fleetd
-- builds its snapshot with it and that writes are refused.

CREATE USER IF NOT EXISTS 'fleetd'@'%' IDENTIFIED BY 'change-me';
-- Each fleetd instance opens at most database.pool_max connections (8 by
-- default): 32 is room for four instances; raise it when you run more.
ALTER USER 'fleetd'@'%' WITH MAX_USER_CONNECTIONS 32;

GRANT SELECT ON `jetmon`.`jetmon_process_health`      TO 'fleetd'@'%';
GRANT SELECT ON `jetmon`.`jetmon_hosts`               TO 'fleetd'@'%';
GRANT SELECT ON `jetmon`.`jetmon_webhook_deliveries`  TO 'fleetd'@'%';
GRANT SELECT ON `jetmon`.`jetmon_alert_deliveries`    TO 'fleetd'@'%';
GRANT SELECT ON `jetmon`.`jetpack_monitor_sites`      TO 'fleetd'@'%';
GRANT SELECT ON `jetmon`.`jetmon_events`              TO 'fleetd'@'%';
