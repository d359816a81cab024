/* alloc.h: memory for code that must not depend on glib (the static lite-ns-monitor links
 * src/util, src/launch/control.c and part of src/ns without it; meson.build enforces that).
 * Allocation failure aborts, as g_malloc does: these processes cannot do anything useful
 * without a few bytes of heap, and every caller would otherwise grow an error path. */
#pragma once

#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>

static inline void
lite_free_cleanup(void *p)
{
    free(*(void **)p);
}
/* A pointer freed with free() when it leaves scope. */
#define lite_autofree __attribute__((cleanup(lite_free_cleanup)))

void *lite_calloc(size_t n, size_t size);
void *lite_realloc(void *p, size_t n, size_t size);
char *lite_strdup(const char *s);
char *lite_strndup(const char *s, size_t len);
char *lite_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *lite_vprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

#define LITE_N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))
