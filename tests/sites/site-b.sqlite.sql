-- site-b on SQLite: the spec schema (shared/spec/sites/site-b.sql) adapted.
-- BIGSERIAL -> INTEGER PRIMARY KEY AUTOINCREMENT (the rowid alias); every
-- other declared type is kept as written: SQLite maps it to an affinity
-- (BIGINT/INTEGER -> INTEGER, 64-bit; VARCHAR/CHAR -> TEXT; NUMERIC/DATE/
-- TIMESTAMP -> NUMERIC; dates are stored as 'YYYY-MM-DD' text).
-- Foreign keys are only enforced on connections with PRAGMA foreign_keys=ON
-- (the ODBC driver's FKSupport=1 option does that).
CREATE TABLE customers (
    id              INTEGER       PRIMARY KEY AUTOINCREMENT,
    account_no      BIGINT        NOT NULL UNIQUE,       -- personal account
    full_name       VARCHAR(200)  NOT NULL,
    street          VARCHAR(200)  NOT NULL,              -- street, house, flat
    city            VARCHAR(100)  NOT NULL,              -- settlement
    region_iso      CHAR(5)       NOT NULL,              -- ISO 3166-2:KZ
    customer_class  VARCHAR(12)   NOT NULL,              -- 'HOUSEHOLD', 'BUSINESS', 'PUBLIC'
    opened_on       DATE          NOT NULL,
    closed_on       DATE,
    occupants       INTEGER       NOT NULL
);

CREATE TABLE meters (
    id              INTEGER       PRIMARY KEY AUTOINCREMENT,
    customer_id     BIGINT        NOT NULL REFERENCES customers(id),
    serial          VARCHAR(30)   NOT NULL,
    dials           INTEGER       NOT NULL,              -- register digits
    installed_on    DATE          NOT NULL,
    removed_on      DATE
);

CREATE TABLE meter_reads (
    id              INTEGER       PRIMARY KEY AUTOINCREMENT,
    meter_id        BIGINT        NOT NULL REFERENCES meters(id),
    read_on         DATE          NOT NULL,
    value_m3        NUMERIC(12,3) NOT NULL,
    kind            VARCHAR(10)   NOT NULL               -- 'ACTUAL', 'ESTIMATED', 'INSTALL', 'REMOVAL'
);
CREATE INDEX meter_reads_meter_date ON meter_reads (meter_id, read_on);

CREATE TABLE invoices (
    id              INTEGER       PRIMARY KEY AUTOINCREMENT,
    customer_id     BIGINT        NOT NULL REFERENCES customers(id),
    period_start    DATE          NOT NULL,
    period_end      DATE          NOT NULL,
    issued_at       TIMESTAMP     NOT NULL,
    total_tiyn      BIGINT        NOT NULL,
    UNIQUE (customer_id, period_start)
);

CREATE TABLE invoice_lines (
    id              INTEGER       PRIMARY KEY AUTOINCREMENT,
    invoice_id      BIGINT        NOT NULL REFERENCES invoices(id),
    line_type       VARCHAR(20)   NOT NULL,              -- 'GAS', 'VOUCHER_DISCOUNT'
    quantity_m3     NUMERIC(12,3),
    unit_price_tiyn BIGINT,                              -- per 1000 m3
    amount_tiyn     BIGINT        NOT NULL,              -- negative for discounts
    reference       VARCHAR(40)
);
