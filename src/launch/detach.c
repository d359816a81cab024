/* detach.c: a launcher leaves the process that spawned it (contract in detach.h). */
#include "detach.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

int
lite_launch_detach(void)
{
    pid_t pid = fork();

    if (pid < 0) {
        int ret = -errno;

        lite_err("cannot detach from the spawning process: %s", strerror(-ret));
        return ret;
    }
    if (pid > 0)
        _exit(0);
    /* Not a session leader any more (the spawner made the session): no open of a tty can
     * make one the launcher's controlling terminal. */
    return 0;
}
