/* alloc.c: the aborting allocators of alloc.h. */
#include "alloc.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void *
must(void *p)
{
    if (!p) {
        static const char msg[] = "lite: out of memory\n";

        (void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
        abort();
    }
    return p;
}

void *
lite_calloc(size_t n, size_t size)
{
    return must(calloc(n ? n : 1, size ? size : 1));
}

void *
lite_realloc(void *p, size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return must(NULL);
    return must(realloc(p, n && size ? n * size : 1));
}

char *
lite_strdup(const char *s)
{
    return s ? must(strdup(s)) : NULL;
}

char *
lite_strndup(const char *s, size_t len)
{
    return must(strndup(s, len));
}

char *
lite_vprintf(const char *fmt, va_list ap)
{
    char *s = NULL;

    if (vasprintf(&s, fmt, ap) < 0)
        s = NULL;
    return must(s);
}

char *
lite_printf(const char *fmt, ...)
{
    va_list ap;
    char *s;

    va_start(ap, fmt);
    s = lite_vprintf(fmt, ap);
    va_end(ap);
    return s;
}
