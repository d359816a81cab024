/* main.c: lite-ns command line: lite-ns --config PATH [--status-fd N]. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "log.h"
#include "ns-supervisor.h"

static void
usage(void)
{
    fprintf(stderr, "usage: lite-ns --config PATH [--status-fd N]\n");
}

int
main(int argc, char **argv)
{
    const char *config = NULL;
    gint64 status_fd = 1;

    lite_log_init("lite-ns");
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            config = argv[++i];
        } else if (strcmp(argv[i], "--status-fd") == 0 && i + 1 < argc) {
            if (!g_ascii_string_to_signed(argv[++i], 10, 0, G_MAXINT, &status_fd, NULL)) {
                usage();
                return 2;
            }
        } else {
            usage();
            return 2;
        }
    }
    if (!config) {
        usage();
        return 2;
    }
    return ns_supervisor_main(config, (int)status_fd);
}
