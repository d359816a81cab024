/* text.h: parsing small texts (kernel files, protocol values) without glib. */
#pragma once

#include <stdint.h>

/* A decimal number and nothing else (no sign, no spaces). 0 or -EINVAL. */
int lite_parse_u64(const char *text, uint64_t *out);
/* Removes leading and trailing whitespace in place; returns @s. */
char *lite_strstrip(char *s);
