/* leases.h - the rows of gv_lease: who does a piece of work that one node
 * at a time may do (intake processing, pulls, outbox delivery, the inbox,
 * billing).
 *
 * Only the statements; the rules (when a lease may be taken over) are in
 * src/flows/lease.h.  Every change is a compare-and-set on the row's
 * token and beat, one statement text for SQLite, PostgreSQL and MariaDB:
 * an UPDATE whose WHERE names what its caller saw, so of two nodes that
 * saw the same row only one changes it (PostgreSQL and MariaDB evaluate
 * the WHERE of a waiting UPDATE again on the row the winner committed;
 * SQLite has one writer).  Times in the rows are the holder's wall clock,
 * shown to people; no decision depends on two hosts' clocks agreeing.
 */
#ifndef GV_LEASES_H
#define GV_LEASES_H

#include <stdint.h>

#include "db.h"

#define GV_LEASE_NAME_MAX 32
#define GV_LEASE_PROCESS_MAX 96
#define GV_LEASE_TOKEN_LEN 32

typedef struct gv_lease_row {
    char name[GV_LEASE_NAME_MAX + 1];
    char holder[65];                        /* node name ([cluster] node) */
    char process[GV_LEASE_PROCESS_MAX + 1]; /* which process on that node */
    char token[GV_LEASE_TOKEN_LEN + 1];     /* "" = released */
    int64_t beat;                           /* +1 at every take, renewal, release */
    long ttl_s;                             /* the holder's [cluster] lease_ttl */
    int64_t taken_at, renewed_at;           /* the holder's clock */
} gv_lease_row_t;

/* 1 found, 0 none, -1 error. */
int gv_store_lease_get(gv_db_t *db, const char *name, gv_lease_row_t *row, gv_db_error_t *e);
/* The first row of a name; GV_DB_DUPLICATE when another node wrote it
 * first. */
int gv_store_lease_insert(gv_db_t *db, const gv_lease_row_t *row, gv_db_error_t *e);
/* Takes the lease as row says (holder, process, token, ttl, times) when
 * it still has seen_token and seen_beat.  1 taken, 0 it changed, -1. */
int gv_store_lease_claim(gv_db_t *db, const gv_lease_row_t *row, const char *seen_token,
                         int64_t seen_beat, gv_db_error_t *e);
/* Renews the lease held with token (beat + 1).  Inside a transaction it
 * also holds the row until the end of it, so that nobody takes the lease
 * over before that transaction is over.  1 held, 0 lost, -1 error. */
int gv_store_lease_renew(gv_db_t *db, const char *name, const char *token, int64_t now,
                         gv_db_error_t *e);
/* Gives the lease back (token ""); 1, 0 not held, -1. */
int gv_store_lease_release(gv_db_t *db, const char *name, const char *token, int64_t now,
                           gv_db_error_t *e);
/* Every lease row, by name; at most max.  How many, or -1. */
int gv_store_leases_list(gv_db_t *db, gv_lease_row_t *rows, int max, gv_db_error_t *e);

#endif
