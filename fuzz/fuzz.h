/* fuzz.h - what the libFuzzer targets in fuzz/ share.
 *
 * Each target is one fuzz_NAME.c defining LLVMFuzzerTestOneInput (and maybe
 * LLVMFuzzerInitialize); fuzz/run-fuzz.sh builds its seed corpus and runs
 * it.  A target checks the promises of the function it drives (bounded
 * output, round trips, the documented return values), not only that
 * nothing crashes: a broken promise is reported with GV_FUZZ_CHECK, which
 * aborts so libFuzzer keeps the input.
 */
#ifndef GV_FUZZ_H
#define GV_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define GV_FUZZ_CHECK(cond, ...)                                                 \
    do {                                                                         \
        if (!(cond)) {                                                           \
            fprintf(stderr, "%s:%d: broken promise: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                        \
            fputc('\n', stderr);                                                 \
            abort();                                                             \
        }                                                                        \
    } while (0)

/* A private directory for the files a target must hand over by name,
 * made on first use and removed at exit. */
const char *gv_fuzz_dir(void);
/* Writes data to gv_fuzz_dir()/name (replacing it) and returns the path,
 * in a static buffer.  Aborts when the file cannot be written. */
const char *gv_fuzz_file(const char *name, const uint8_t *data, size_t size);
/* data as a NUL-terminated string (malloc'd; aborts when out of memory).
 * NUL bytes in data end the string early, as they would in C. */
char *gv_fuzz_cstr(const uint8_t *data, size_t size);
/* The time zone and the XML library, as the programs set them up. */
void gv_fuzz_setup(void);

#endif
