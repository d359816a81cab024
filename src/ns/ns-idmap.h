/* ns-idmap.h: user-namespace id maps: checked against /etc/subuid and /etc/subgid, written to
 * the container's PID 1. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <glib.h>

/* Pure: whether @map (of lite_idmap) may be given to a container started by @user (uid
 * @user_id): container id 0 is mapped, no two items overlap on either side, and every host
 * range lies inside one of the user's ranges in @subid_text (the contents of /etc/subuid or
 * /etc/subgid, "name-or-id:start:count" lines). 0, or -EINVAL/-EPERM with @why naming the
 * item and the file (@file is only used in the message). */
int ns_idmap_check(const char *subid_text, const char *file, const char *user, uid_t user_id,
                   const GArray *map, const char *kind, char **why);

/* Checks both maps against the host's files for root; 0 or -errno with @why. */
int ns_idmap_check_host(const GArray *uidmap, const GArray *gidmap, char **why);

/* The host id that container id @id maps to, or (uint32_t)-1 when unmapped. */
uint32_t ns_idmap_to_host(const GArray *map, uint32_t id);
/* Whether container id @id is mapped. */
bool ns_idmap_has(const GArray *map, uint32_t id);

/* Writes /proc/@pid/uid_map and gid_map. 0 or -errno (logged). */
int ns_idmap_write(pid_t pid, const GArray *uidmap, const GArray *gidmap);
