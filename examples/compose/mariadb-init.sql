-- Runs once, when the mariadb container first creates its data directory
-- (/docker-entrypoint-initdb.d). The integration test TestComposeExample
-- runs this same file against its own MariaDB.
CREATE DATABASE IF NOT EXISTS inventory;

CREATE TABLE inventory.customers (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(64) NOT NULL,
  email VARCHAR(128),
  balance DECIMAL(12,2),
  updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3)
) AUTO_INCREMENT = 1001;

INSERT INTO inventory.customers (name, email, balance) VALUES
  ('Sally Thomas', 'sally.thomas@acme.com', 120.50),
  ('George Bailey', 'gbailey@foobar.com', 0.00),
  ('Edward Walker', 'ed@walker.com', 42.00);

-- What the connector needs and nothing more: reading the tables and their
-- definitions, the consistent snapshot point, and the binlog.
CREATE USER 'sluice'@'%' IDENTIFIED BY 'sluice-secret';
GRANT SELECT, RELOAD, SHOW DATABASES, REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'sluice'@'%';
