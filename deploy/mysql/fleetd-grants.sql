-- A SELECT-only MySQL/MariaDB account for fleetd, on exactly the six jetmon
-- tables it reads (and nothing else: no other table, no write, no DDL).
--
-- Replace the database name `jetmon`, the host pattern and the password
-- before running it as an administrator:
--   mysql -u root -p < deploy/mysql/fleetd-grants.sql
-- Keep the password in /etc/fleetd/db-password (see deploy/fleetd.service).
-- Behind a replica, run it on the primary: grants replicate.

CREATE USER IF NOT EXISTS 'fleetd'@'%' IDENTIFIED BY 'change-me';
ALTER USER 'fleetd'@'%' WITH MAX_USER_CONNECTIONS 32;

GRANT SELECT ON `jetmon`.`jetmon_process_health`      TO 'fleetd'@'%';
GRANT SELECT ON `jetmon`.`jetmon_hosts`               TO 'fleetd'@'%';
GRANT SELECT ON `jetmon`.`jetmon_webhook_deliveries`  TO 'fleetd'@'%';
GRANT SELECT ON `jetmon`.`jetmon_alert_deliveries`    TO 'fleetd'@'%';
GRANT SELECT ON `jetmon`.`jetpack_monitor_sites`      TO 'fleetd'@'%';
GRANT SELECT ON `jetmon`.`jetmon_events`              TO 'fleetd'@'%';
