/* log.c: timestamped, leveled log lines on stderr (a launcher's stderr is its log file). */
#include "log.h"

#include "alloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static const char *log_prog = "lite";
static lite_log_level log_level = LITE_LOG_INFO;

static const char *const level_names[] = { "error", "warn", "info", "debug" };

void
lite_log_init(const char *prog)
{
    const char *env = getenv("LITE_LOG_LEVEL");

    log_prog = prog;
    if (!env)
        return;
    for (size_t i = 0; i < LITE_N_ELEMENTS(level_names); i++) {
        if (strcmp(env, level_names[i]) == 0)
            log_level = (lite_log_level)i;
    }
}

void
lite_log_set_level(lite_log_level level)
{
    log_level = level;
}

bool
lite_log_enabled(lite_log_level level)
{
    return level <= log_level;
}

void
lite_log(lite_log_level level, const char *func, const char *fmt, ...)
{
    char stamp[32];
    struct timeval tv;
    struct tm tm;
    char msg[1024];
    va_list ap;

    if (!lite_log_enabled(level))
        return;

    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);

    /* One fprintf per line so concurrent threads never interleave within a line. */
    fprintf(stderr, "%s.%03ld %s[%d]: %s: %s: %s\n", stamp, (long)(tv.tv_usec / 1000),
            log_prog, (int)getpid(), level_names[level], func, msg);
}
