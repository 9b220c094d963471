-- site-c on MariaDB: site-c.postgresql.sql (the reference, which describes
-- the site) adapted.  BIGSERIAL -> BIGINT NOT NULL AUTO_INCREMENT PRIMARY
-- KEY (signed, like PostgreSQL's bigserial); TIMESTAMP -> DATETIME(6)
-- (MariaDB's TIMESTAMP is time-zone converted and ends in 2038); foreign
-- keys as table constraints (InnoDB enforces them).  InnoDB, utf8mb4 with
-- the usual case-insensitive collation of real sites.
CREATE TABLE spr_region (
    kod             CHAR(2)       NOT NULL PRIMARY KEY,  -- '75'
    kod_iso         VARCHAR(6)    NOT NULL UNIQUE,       -- 'KZ-75'
    naimenovanie    VARCHAR(60)   NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE lits_schet (
    nomer           VARCHAR(10)   NOT NULL PRIMARY KEY,  -- 'RR-NNNNNNN'
    familiya        VARCHAR(80)   NOT NULL,
    imya            VARCHAR(60)   NOT NULL,
    otchestvo       VARCHAR(60),                         -- NULL: none
    nas_punkt       VARCHAR(100)  NOT NULL,              -- 'г. Алматы'
    ulitsa          VARCHAR(150)  NOT NULL,              -- 'ул. Жандосова'
    dom             VARCHAR(10)   NOT NULL,              -- '12', '5А'
    kvartira        VARCHAR(10),                         -- NULL: a house
    kategoriya      VARCHAR(20)   NOT NULL,              -- 'НАСЕЛЕНИЕ', 'ПРЕДПРИЯТИЕ', 'БЮДЖЕТ'
    uchet           CHAR(1)       NOT NULL,              -- 'Д' metered, 'Н' by norm
    sostoyanie      VARCHAR(10)   NOT NULL,              -- 'ОТКРЫТ', 'ЗАКРЫТ'
    data_zakrytiya  DATE,
    zhiltsov        INTEGER       NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE schetchik (
    id              BIGINT        NOT NULL AUTO_INCREMENT PRIMARY KEY,
    nomer_ls        VARCHAR(10)   NOT NULL,
    zav_nomer       VARCHAR(20)   NOT NULL,
    razryadnost     INTEGER       NOT NULL,
    ustanovlen      DATE          NOT NULL,
    pokaz_ustanovki NUMERIC(12,3) NOT NULL,
    snyat           DATE,                                -- NULL while in place
    pokaz_snyatiya  NUMERIC(12,3),
    FOREIGN KEY (nomer_ls) REFERENCES lits_schet(nomer)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
CREATE INDEX schetchik_nomer_ls ON schetchik (nomer_ls);
CREATE INDEX schetchik_zav_nomer ON schetchik (zav_nomer);

CREATE TABLE pokazaniya_god (
    schetchik_id    BIGINT        NOT NULL,
    god             INTEGER       NOT NULL,
    m01 NUMERIC(12,3), m02 NUMERIC(12,3), m03 NUMERIC(12,3), m04 NUMERIC(12,3),
    m05 NUMERIC(12,3), m06 NUMERIC(12,3), m07 NUMERIC(12,3), m08 NUMERIC(12,3),
    m09 NUMERIC(12,3), m10 NUMERIC(12,3), m11 NUMERIC(12,3), m12 NUMERIC(12,3),
    PRIMARY KEY (schetchik_id, god),
    FOREIGN KEY (schetchik_id) REFERENCES schetchik(id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE import_nachisleniy (
    id              BIGINT        NOT NULL AUTO_INCREMENT PRIMARY KEY,
    nomer_ls        VARCHAR(10)   NOT NULL,
    period          CHAR(6)       NOT NULL,              -- 'YYYYMM'
    obem            NUMERIC(12,3) NOT NULL,              -- m3
    tarif_tiyn      BIGINT        NOT NULL,              -- per 1000 m3, without VAT
    summa_tiyn      BIGINT        NOT NULL,              -- charge with VAT
    skidka_tiyn     BIGINT        NOT NULL,              -- voucher discount
    k_oplate_tiyn   BIGINT        NOT NULL,              -- amount due
    vaucher         VARCHAR(64),                         -- NULL: a row gasvoucher did not write
    sozdano         DATETIME(6)   NOT NULL,
    status          VARCHAR(10)   NOT NULL,              -- 'НОВЫЙ', 'ЗАГРУЖЕН', 'ОТКЛОНЁН'
    zagruzheno      DATETIME(6),                         -- set by the import program
    UNIQUE (nomer_ls, period)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

INSERT INTO spr_region (kod, kod_iso, naimenovanie) VALUES
    ('10', 'KZ-10', 'Абайская область'),
    ('11', 'KZ-11', 'Акмолинская область'),
    ('15', 'KZ-15', 'Актюбинская область'),
    ('19', 'KZ-19', 'Алматинская область'),
    ('23', 'KZ-23', 'Атырауская область'),
    ('27', 'KZ-27', 'Западно-Казахстанская область'),
    ('31', 'KZ-31', 'Жамбылская область'),
    ('33', 'KZ-33', 'Жетысуская область'),
    ('35', 'KZ-35', 'Карагандинская область'),
    ('39', 'KZ-39', 'Костанайская область'),
    ('43', 'KZ-43', 'Кызылординская область'),
    ('47', 'KZ-47', 'Мангистауская область'),
    ('55', 'KZ-55', 'Павлодарская область'),
    ('59', 'KZ-59', 'Северо-Казахстанская область'),
    ('61', 'KZ-61', 'Туркестанская область'),
    ('62', 'KZ-62', 'Улытауская область'),
    ('63', 'KZ-63', 'Восточно-Казахстанская область'),
    ('71', 'KZ-71', 'г. Астана'),
    ('75', 'KZ-75', 'г. Алматы'),
    ('79', 'KZ-79', 'г. Шымкент');
