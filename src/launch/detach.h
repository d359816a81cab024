/* detach.h: how a launcher leaves the process that spawned it (the driver's side is
 * liteProcessSpawn in src/driver/lite_process.c). */
#pragma once

/* The command-line flag that asks for it. */
#define LITE_DETACH_FLAG "--detach"

/* Forks once; the parent exits 0 at once and the child returns 0. The child is then an
 * orphan that init (or the nearest subreaper) adopts and reaps, and the spawner waits only
 * for the short-lived parent: the launcher outlives the daemon without being its child, as
 * a double fork in the daemon would give, but the copies are of this small process instead
 * of the daemon. Call it before any thread starts. Returns -errno if fork fails. */
int lite_launch_detach(void);
