-- site-a on PostgreSQL: the spec schema (shared/spec/sites/site-a.sql) as is.
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
);

CREATE TABLE pokazaniya (                                -- meter readings
    id              BIGSERIAL     PRIMARY KEY,
    lic_schet       CHAR(10)      NOT NULL REFERENCES abonent(lic_schet),
    zavod_nomer     VARCHAR(30)   NOT NULL,              -- meter serial number
    razryadnost     SMALLINT      NOT NULL,              -- register digits: rolls over at 10^n m3
    data_pokaz      DATE          NOT NULL,              -- reading date
    znachenie       NUMERIC(12,3) NOT NULL               -- register value, m3
);
CREATE INDEX pokazaniya_schet_data ON pokazaniya (lic_schet, data_pokaz);

CREATE TABLE nachislenie (                               -- bills
    id              BIGSERIAL     PRIMARY KEY,
    lic_schet       CHAR(10)      NOT NULL REFERENCES abonent(lic_schet),
    period          CHAR(6)       NOT NULL,              -- 'YYYYMM'
    obem            NUMERIC(12,3) NOT NULL,              -- volume, m3
    tarif           NUMERIC(12,2) NOT NULL,              -- price, tenge per 1000 m3
    summa           NUMERIC(14,2) NOT NULL,              -- charge, tenge
    skidka          NUMERIC(14,2) NOT NULL,              -- voucher discount, tenge
    k_oplate        NUMERIC(14,2) NOT NULL,              -- amount due, tenge
    vaucher         VARCHAR(40),                         -- voucher id
    sozdano         TIMESTAMP     NOT NULL,
    UNIQUE (lic_schet, period)
);
