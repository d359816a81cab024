/* lite_cgroup.h: the driver's last resort for containers whose supervisor died. */
#pragma once

/* Kills every process in the cgroup @rel (relative to each mounted hierarchy's root, v1 and
 * v2 alike) and removes the cgroup directories, children first. Returns 0, or -1 when
 * processes survived (the error is logged, not reported: it runs on cleanup paths). */
int liteCgroupKillAndRemove(const char *rel);
