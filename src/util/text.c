/* text.c: the parsers of text.h. */
#include "text.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

int
lite_parse_u64(const char *text, uint64_t *out)
{
    char *end = NULL;
    unsigned long long v;

    if (!text || !(*text >= '0' && *text <= '9'))
        return -EINVAL;
    errno = 0;
    v = strtoull(text, &end, 10);
    if (errno != 0 || *end != '\0')
        return -EINVAL;
    *out = v;
    return 0;
}

char *
lite_strstrip(char *s)
{
    size_t len;
    char *p = s;

    while (isspace((unsigned char)*p))
        p++;
    len = strlen(p);
    while (len > 0 && isspace((unsigned char)p[len - 1]))
        len--;
    memmove(s, p, len);
    s[len] = '\0';
    return s;
}
