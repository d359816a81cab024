/* monitor-main.c: lite-ns-monitor, the resident half of a container's supervisor. Only lite-ns
 * starts it, by exec, with the handover options of ns-sup.h:
 *   lite-ns-monitor --state PATH [--listen FD] [--pidfd FD] [--console FD,FD,FD]
 *                   [--conn FD:[w][d]]... [--destroying]
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "ns-monitor.h"

int
main(int argc, char **argv)
{
    ns_sup s;
    int ret;

    lite_log_init("lite-ns-monitor");
    ns_sup_init(&s);
    if ((ret = ns_sup_adopt(&s, argc, argv, NULL)) < 0) {
        if (ret == -EINVAL)
            fprintf(stderr, "lite-ns-monitor is started by lite-ns, with the options of "
                    "src/ns/ns-sup.h\n");
        /* Without the state, nothing here can be served or torn down; the driver cleans up
         * after a supervisor that is gone, from the same state file. */
        return 1;
    }
    ret = ns_monitor_run(&s);
    ns_sup_clear(&s);
    return ret < 0 ? 1 : 0;
}
