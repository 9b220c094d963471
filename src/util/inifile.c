/* inifile.c - line-numbered INI parsing over libinih. */
#include "config.h"
#include "inifile.h"

#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <string.h>

struct ini_state {
    FILE *f;
    const char *path;
    int line;
    int indented;          /* the line being parsed starts with white space */
    char prev_section[128];
    char prev_name[128];
    gv_ini_handler handler;
    void *user;
    gv_errlist_t *errs;
};

/* A line libinih accepts: blank, a comment, [section], name = value,
 * name: value, or (indented) the continuation of a value. */
static int well_formed(const char *line)
{
    const char *p = line;

    if (*p == ' ' || *p == '\t')
        return 1;
    if (*p == '\xEF' && p[1] == '\xBB' && p[2] == '\xBF')   /* UTF-8 BOM */
        p += 3;
    while (*p == ' ' || *p == '\t')
        p++;
    if (!*p || *p == '\n' || *p == '\r' || *p == ';' || *p == '#')
        return 1;
    if (*p == '[')
        return strchr(p, ']') != NULL;
    return strpbrk(p, "=:") != NULL && *p != '=' && *p != ':';
}

/* fgets-like reader that counts lines and refuses over-long ones. */
static char *reader(char *str, int num, void *stream)
{
    struct ini_state *st = stream;
    char *r = fgets(str, num, st->f);
    size_t n;

    if (!r)
        return NULL;
    st->line++;
    st->indented = str[0] == ' ' || str[0] == '\t';
    n = strlen(str);
    if (n == (size_t)num - 1 && str[n - 1] != '\n' && !feof(st->f)) {
        int c;
        while ((c = fgetc(st->f)) != EOF && c != '\n')
            ;
        n = GV_INI_MAX_LINE + 1;
    } else {
        while (n && (str[n - 1] == '\n' || str[n - 1] == '\r'))
            n--;
    }
    if (n > GV_INI_MAX_LINE) {
        gv_errlist_add(st->errs, "%s:%d: line longer than %d characters", st->path,
                       st->line, GV_INI_MAX_LINE);
        str[0] = '\0';   /* seen as an empty line */
    } else if (!well_formed(str)) {
        /* libinih reports only its first bad line; report each here and
         * hand it an empty line instead. */
        gv_errlist_add(st->errs, "%s:%d: syntax error (expected [section] or name = value)",
                       st->path, st->line);
        str[0] = '\0';
    }
    return str;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
    struct ini_state *st = user;
    /* libinih repeats the name for each continuation line of a multi-line
     * value; only an indented line is a continuation, so a key written twice
     * is still seen as written twice. */
    int cont = st->indented && strcmp(section, st->prev_section) == 0 &&
               strcmp(name, st->prev_name) == 0;

    snprintf(st->prev_section, sizeof st->prev_section, "%s", section);
    snprintf(st->prev_name, sizeof st->prev_name, "%s", name);
    st->handler(st->user, st->path, st->line, section, name, value, cont);
    return 1;
}

int gv_ini_parse(const char *path, gv_ini_handler h, void *user, gv_errlist_t *errs)
{
    struct ini_state st;
    size_t before = errs->count;
    int rc;
    memset(&st, 0, sizeof st);
    st.path = path;
    st.handler = h;
    st.user = user;
    st.errs = errs;
    st.f = fopen(path, "r");
    if (!st.f) {
        gv_errlist_add(errs, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
#if HAVE_DECL_INI_MAX_LINE
    ini_use_stack = false;       /* Debian's libinih takes these at run time */
    ini_allow_realloc = false;
    ini_max_line = GV_INI_MAX_LINE + 3;
    ini_initial_alloc = GV_INI_MAX_LINE + 3;
#endif
    rc = ini_parse_stream(reader, &st, handler, &st);
    fclose(st.f);
    if (rc > 0)
        gv_errlist_add(errs, "%s:%d: syntax error (expected [section] or name = value)",
                       path, rc);
    else if (rc < 0)
        gv_errlist_add(errs, "%s: cannot parse (out of memory)", path);
    return errs->count == before ? 0 : -1;
}
