/* fuzz_mapping.c - a site mapping (gv_mapping_load): loaded whole or
 * refused with problems that name the file; a loaded one has every
 * required statement, each with no more parameters than it may bind. */
#include "config.h"
#include "fuzz.h"

#include "buf.h"
#include "mapping.h"

#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    gv_fuzz_setup();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = gv_fuzz_file("site.ini", data, size);
    gv_errlist_t errs = { 0 };
    gv_mapping_t *m = gv_mapping_load(path, &errs);

    GV_FUZZ_CHECK(!m != !errs.count, "%s, %zu problems", m ? "loaded" : "refused", errs.count);
    for (size_t i = 0; i < errs.count; i++)
        GV_FUZZ_CHECK(strncmp(errs.items[i], path, strlen(path)) == 0,
                      "a problem that does not name the file: %s", errs.items[i]);
    if (m) {
        gv_buf_t b;
        gv_buf_init(&b, 1 << 20);
        for (int k = 0; k < GV_STMT_COUNT; k++) {
            const gv_stmt_t *st = &m->stmts[k];
            GV_FUZZ_CHECK(!gv_stmt_specs[k].required || st->sql, "[%s] missing",
                          gv_stmt_specs[k].section);
            GV_FUZZ_CHECK(st->nparams <= GV_STMT_MAX_PARAMS, "%zu parameters", st->nparams);
            if (st->sql)
                (void)gv_stmt_expand(st, 3, &b);
        }
        for (size_t w = 0; w < m->nwrites; w++)
            (void)gv_write_expand(&m->writes[w], 3, &b);
        gv_buf_free(&b);
    }
    gv_mapping_free(m);
    gv_errlist_free(&errs);
    return 0;
}
