/* files.h - the bytes of spool files in the database, where every node
 * can read them.
 *
 * A batch as received (and its signature) and every message queued for
 * the wallet (and its signature) are stored in gv_file / gv_file_part in
 * the same transaction as the row that names them (gv_batch, gv_outbox):
 * the row and its bytes are committed together or not at all, and a node
 * that did not receive a batch, or did not write a message, reads them
 * from here into its own spool before it processes or sends them.  The
 * local spool is a copy; the database is what counts.
 *
 * Bytes are kept as base64 text in rows of GV_FILE_PART_CHARS characters:
 * one column type (VARCHAR) and one statement text on every engine, and
 * each value within what a bound text parameter carries (db.h).  A name is
 * the file's path under spool_dir ("batches/NAME.xml", "outbox/NAME.xml",
 * each with ".p7s").
 */
#ifndef GV_FILES_H
#define GV_FILES_H

#include <stdint.h>

#include "db.h"

#define GV_FILE_NAME_MAX 120
#define GV_FILE_PART_CHARS 512      /* base64 of 384 bytes */

/* Stores the bytes of the file at path under name, inside the caller's
 * transaction, after the row that names them (which refuses a second
 * copy); bytes left under that name without such a row are replaced.  A
 * file that cannot be read is GV_DB_PERMANENT. */
int gv_store_file_put(gv_db_t *db, const char *name, const char *path, int64_t now,
                      gv_db_error_t *e);
/* 1 stored, 0 not, -1 error. */
int gv_store_file_has(gv_db_t *db, const char *name, gv_db_error_t *e);
/* Writes the stored bytes of name to path (through a temporary file
 * beside it, fsync'd and renamed into place), after checking their size
 * and SHA-256 against what was stored.  1 written, 0 not stored, -1 error
 * (nothing left at path). */
int gv_store_file_get(gv_db_t *db, const char *name, const char *path, gv_db_error_t *e);

/* For a database brought to the version that keeps bytes: stores the
 * local spool's copy of every batch not yet processed and every message
 * not yet delivered that the database does not have yet, one transaction
 * each.  *stored counts them. */
int gv_store_files_adopt(gv_db_t *db, const char *spool, int64_t now, long *stored,
                         gv_db_error_t *e);

#endif
