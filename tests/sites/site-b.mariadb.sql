-- site-b on MariaDB: the spec schema (shared/spec/sites/site-b.sql) adapted.
-- BIGSERIAL -> BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY (signed, like
-- PostgreSQL's bigserial; MariaDB's own SERIAL is BIGINT UNSIGNED and would
-- not match the signed BIGINT foreign keys). TIMESTAMP -> DATETIME(6):
-- MariaDB's TIMESTAMP is time-zone converted, ends in 2038 and may
-- auto-update, while PostgreSQL's TIMESTAMP (without time zone, microseconds)
-- is what DATETIME(6) is. Foreign keys are written as table constraints
-- (InnoDB enforces them). InnoDB, utf8mb4 with the usual case-insensitive
-- collation of real sites.
CREATE TABLE customers (
    id              BIGINT        NOT NULL AUTO_INCREMENT PRIMARY KEY,
    account_no      BIGINT        NOT NULL UNIQUE,       -- personal account
    full_name       VARCHAR(200)  NOT NULL,
    street          VARCHAR(200)  NOT NULL,              -- street, house, flat
    city            VARCHAR(100)  NOT NULL,              -- settlement
    region_iso      CHAR(5)       NOT NULL,              -- ISO 3166-2:KZ
    customer_class  VARCHAR(12)   NOT NULL,              -- 'HOUSEHOLD', 'BUSINESS', 'PUBLIC'
    opened_on       DATE          NOT NULL,
    closed_on       DATE,
    occupants       INTEGER       NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE meters (
    id              BIGINT        NOT NULL AUTO_INCREMENT PRIMARY KEY,
    customer_id     BIGINT        NOT NULL,
    serial          VARCHAR(30)   NOT NULL,
    dials           INTEGER       NOT NULL,              -- register digits
    installed_on    DATE          NOT NULL,
    removed_on      DATE,
    FOREIGN KEY (customer_id) REFERENCES customers(id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE meter_reads (
    id              BIGINT        NOT NULL AUTO_INCREMENT PRIMARY KEY,
    meter_id        BIGINT        NOT NULL,
    read_on         DATE          NOT NULL,
    value_m3        NUMERIC(12,3) NOT NULL,
    kind            VARCHAR(10)   NOT NULL,              -- 'ACTUAL', 'ESTIMATED', 'INSTALL', 'REMOVAL'
    FOREIGN KEY (meter_id) REFERENCES meters(id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
CREATE INDEX meter_reads_meter_date ON meter_reads (meter_id, read_on);

CREATE TABLE invoices (
    id              BIGINT        NOT NULL AUTO_INCREMENT PRIMARY KEY,
    customer_id     BIGINT        NOT NULL,
    period_start    DATE          NOT NULL,
    period_end      DATE          NOT NULL,
    issued_at       DATETIME(6)   NOT NULL,
    total_tiyn      BIGINT        NOT NULL,
    UNIQUE (customer_id, period_start),
    FOREIGN KEY (customer_id) REFERENCES customers(id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE invoice_lines (
    id              BIGINT        NOT NULL AUTO_INCREMENT PRIMARY KEY,
    invoice_id      BIGINT        NOT NULL,
    line_type       VARCHAR(20)   NOT NULL,              -- 'GAS', 'VOUCHER_DISCOUNT'
    quantity_m3     NUMERIC(12,3),
    unit_price_tiyn BIGINT,                              -- per 1000 m3
    amount_tiyn     BIGINT        NOT NULL,              -- negative for discounts
    reference       VARCHAR(40),
    FOREIGN KEY (invoice_id) REFERENCES invoices(id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
