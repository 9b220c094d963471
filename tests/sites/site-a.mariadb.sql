-- site-a on MariaDB: the spec schema (shared/spec/sites/site-a.sql) adapted.
-- BIGSERIAL -> BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY (signed, like
-- PostgreSQL's bigserial; MariaDB's own SERIAL is BIGINT UNSIGNED and would
-- not match signed BIGINT foreign keys). TIMESTAMP -> DATETIME(6): MariaDB's
-- TIMESTAMP is time-zone converted, ends in 2038 and may auto-update, while
-- PostgreSQL's TIMESTAMP (without time zone, microseconds) is what DATETIME(6)
-- is. Foreign keys are written as table constraints (InnoDB enforces them).
-- InnoDB, utf8mb4 with the usual case-insensitive collation of real sites.
CREATE TABLE abonent (
    lic_schet       CHAR(10)      NOT NULL PRIMARY KEY,  -- personal account, zero-padded digits
    fio             VARCHAR(200)  NOT NULL,              -- holder's full name, Cyrillic
    adres           VARCHAR(300)  NOT NULL,              -- full address
    region          CHAR(5)       NOT NULL,              -- ISO 3166-2:KZ, e.g. 'KZ-75'
    gruppa          SMALLINT      NOT NULL,              -- tariff group, 1 = household
    sostoyanie      CHAR(1)       NOT NULL,              -- 'A' open, 'Z' closed
    data_zakrytiya  DATE,                                -- closing date when closed
    kol_prozhiv     SMALLINT      NOT NULL,              -- registered residents
    est_schetchik   SMALLINT      NOT NULL               -- 1 metered, 0 billed by norm
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE pokazaniya (                                -- meter readings
    id              BIGINT        NOT NULL AUTO_INCREMENT PRIMARY KEY,
    lic_schet       CHAR(10)      NOT NULL,
    zavod_nomer     VARCHAR(30)   NOT NULL,              -- meter serial number
    razryadnost     SMALLINT      NOT NULL,              -- register digits: rolls over at 10^n m3
    data_pokaz      DATE          NOT NULL,              -- reading date
    znachenie       NUMERIC(12,3) NOT NULL,              -- register value, m3
    FOREIGN KEY (lic_schet) REFERENCES abonent(lic_schet)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
CREATE INDEX pokazaniya_schet_data ON pokazaniya (lic_schet, data_pokaz);

CREATE TABLE nachislenie (                               -- bills
    id              BIGINT        NOT NULL AUTO_INCREMENT PRIMARY KEY,
    lic_schet       CHAR(10)      NOT NULL,
    period          CHAR(6)       NOT NULL,              -- 'YYYYMM'
    obem            NUMERIC(12,3) NOT NULL,              -- volume, m3
    tarif           NUMERIC(12,2) NOT NULL,              -- price, tenge per 1000 m3
    summa           NUMERIC(14,2) NOT NULL,              -- charge, tenge
    skidka          NUMERIC(14,2) NOT NULL,              -- voucher discount, tenge
    k_oplate        NUMERIC(14,2) NOT NULL,              -- amount due, tenge
    vaucher         VARCHAR(40),                         -- voucher id
    sozdano         DATETIME(6)   NOT NULL,
    UNIQUE (lic_schet, period),
    FOREIGN KEY (lic_schet) REFERENCES abonent(lic_schet)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
