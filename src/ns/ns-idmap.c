/* ns-idmap.c: id map validation (pure) and the writes that give a user namespace its ids. */
#include "ns-idmap.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "launch.h"
#include "log.h"
#include "ns-fs.h"

typedef struct {
    uint64_t start;
    uint64_t count;
} id_range;

static bool
overlaps(uint64_t a, uint64_t na, uint64_t b, uint64_t nb)
{
    return a < b + nb && b < a + na;
}

/* The ranges of /etc/subuid-style text that belong to @user or its numeric id. */
static GArray *
user_ranges(const char *text, const char *user, uid_t user_id)
{
    g_autofree char *id = g_strdup_printf("%u", (unsigned)user_id);
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    GArray *out = g_array_new(FALSE, FALSE, sizeof(id_range));

    for (size_t i = 0; lines[i]; i++) {
        g_auto(GStrv) f = g_strsplit(g_strstrip(lines[i]), ":", -1);
        id_range r;

        if (g_strv_length(f) != 3 || (strcmp(f[0], user) != 0 && strcmp(f[0], id) != 0))
            continue;
        if (!g_ascii_string_to_unsigned(f[1], 10, 0, UINT32_MAX, &r.start, NULL) ||
            !g_ascii_string_to_unsigned(f[2], 10, 1, UINT32_MAX, &r.count, NULL))
            continue;
        g_array_append_val(out, r);
    }
    return out;
}

int
ns_idmap_check(const char *subid_text, const char *file, const char *user, uid_t user_id,
               const GArray *map, const char *kind, char **why)
{
    g_autoptr(GArray) ranges = user_ranges(subid_text, user, user_id);

    if (map->len == 0) {
        *why = g_strdup_printf("[idmap] has no %s map", kind);
        return -EINVAL;
    }
    if (!ns_idmap_has(map, 0)) {
        *why = g_strdup_printf("[idmap] %s map does not map container %s 0 (root)", kind, kind);
        return -EINVAL;
    }
    for (guint i = 0; i < map->len; i++) {
        const lite_idmap *m = &g_array_index(map, lite_idmap, i);
        bool inside = false;

        for (guint j = 0; j < i; j++) {
            const lite_idmap *o = &g_array_index(map, lite_idmap, j);

            if (overlaps(m->start, m->count, o->start, o->count) ||
                overlaps(m->target, m->count, o->target, o->count)) {
                *why = g_strdup_printf("[idmap] %s items '%u %u %u' and '%u %u %u' overlap",
                                       kind, m->start, m->target, m->count, o->start, o->target,
                                       o->count);
                return -EINVAL;
            }
        }
        for (guint j = 0; j < ranges->len && !inside; j++) {
            const id_range *r = &g_array_index(ranges, id_range, j);

            inside = m->target >= r->start &&
                     (uint64_t)m->target + m->count <= r->start + r->count;
        }
        if (!inside) {
            *why = g_strdup_printf("[idmap] %s item '%u %u %u' maps host %ss %u-%" PRIu64
                                   ", which %s does not give to %s", kind, m->start, m->target,
                                   m->count, kind, m->target,
                                   (uint64_t)m->target + m->count - 1, file, user);
            return -EPERM;
        }
    }
    return 0;
}

int
ns_idmap_check_host(const GArray *uidmap, const GArray *gidmap, char **why)
{
    static const char *const files[] = { "/etc/subuid", "/etc/subgid" };
    const GArray *maps[] = { uidmap, gidmap };
    const char *kinds[] = { "uid", "gid" };

    for (size_t i = 0; i < 2; i++) {
        g_autofree char *text = NULL;
        int ret = ns_file_read(files[i], &text);

        if (ret < 0 && ret != -ENOENT) {
            *why = g_strdup_printf("cannot read %s: %s", files[i], g_strerror(-ret));
            return ret;
        }
        if ((ret = ns_idmap_check(text ? text : "", files[i], "root", 0, maps[i], kinds[i],
                                  why)) < 0)
            return ret;
    }
    return 0;
}

uint32_t
ns_idmap_to_host(const GArray *map, uint32_t id)
{
    for (guint i = 0; i < map->len; i++) {
        const lite_idmap *m = &g_array_index(map, lite_idmap, i);

        if (id >= m->start && id - m->start < m->count)
            return m->target + (id - m->start);
    }
    return UINT32_MAX;
}

bool
ns_idmap_has(const GArray *map, uint32_t id)
{
    return ns_idmap_to_host(map, id) != UINT32_MAX;
}

static int
write_map(pid_t pid, const char *file, const GArray *map)
{
    g_autofree char *dir = g_strdup_printf("/proc/%d", (int)pid);
    g_autoptr(GString) text = g_string_new(NULL);
    int ret;

    for (guint i = 0; i < map->len; i++) {
        const lite_idmap *m = &g_array_index(map, lite_idmap, i);
        g_string_append_printf(text, "%u %u %u\n", m->start, m->target, m->count);
    }
    if ((ret = ns_file_write(dir, file, text->str)) < 0)
        lite_err("cannot write %s/%s: %s", dir, file, g_strerror(-ret));
    return ret;
}

int
ns_idmap_write(pid_t pid, const GArray *uidmap, const GArray *gidmap)
{
    int ret = write_map(pid, "uid_map", uidmap);

    return ret < 0 ? ret : write_map(pid, "gid_map", gidmap);
}
