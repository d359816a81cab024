/* log.h: one logging call for every process outside libvirt: a level, a message, stderr. */
#pragma once

#include <stdbool.h>

typedef enum {
    LITE_LOG_ERROR = 0,
    LITE_LOG_WARN,
    LITE_LOG_INFO,
    LITE_LOG_DEBUG,
} lite_log_level;

/* Names the process in every line; reads LITE_LOG_LEVEL (error|warn|info|debug). */
void lite_log_init(const char *prog);
void lite_log_set_level(lite_log_level level);
bool lite_log_enabled(lite_log_level level);

void lite_log(lite_log_level level, const char *func, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define lite_err(...)   lite_log(LITE_LOG_ERROR, __func__, __VA_ARGS__)
#define lite_warn(...)  lite_log(LITE_LOG_WARN, __func__, __VA_ARGS__)
#define lite_info(...)  lite_log(LITE_LOG_INFO, __func__, __VA_ARGS__)
#define lite_debug(...) \
    do { \
        if (lite_log_enabled(LITE_LOG_DEBUG)) \
            lite_log(LITE_LOG_DEBUG, __func__, __VA_ARGS__); \
    } while (0)
