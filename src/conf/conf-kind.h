/* conf-kind.h: what conf.c shares with the VM and container translations. */
#pragma once

#include <libxml/tree.h>

#include "conf-check.h"
#include "conf.h"

typedef struct {
    const char *what;               /* "a lite VM", "a lite container": used in messages */
    const conf_allow *allow;
    const conf_hint *hints;
    int (*translate)(xmlNode *root, const lite_conf_ctx *ctx, lite_launch *l, GError **err);
} conf_kind;

extern const conf_kind conf_kind_vm;
extern const conf_kind conf_kind_container;

/* Common elements every kind accepts (the kind tables include them by listing them again:
 * a table is the whole truth for its kind). */
#define CONF_ALLOW_COMMON \
    { "name", NULL, false }, \
    { "uuid", NULL, false }, \
    { "title", NULL, false }, \
    { "description", NULL, false }, \
    { "metadata", NULL, true }, \
    { "memory", "unit", false }, \
    { "currentMemory", "unit", false }, \
    { "os", NULL, false }, \
    { "on_poweroff", NULL, false }, \
    { "on_reboot", NULL, false }, \
    { "on_crash", NULL, false }, \
    { "clock", "offset", false }, \
    { "devices", NULL, false }, \
    { "devices/emulator", NULL, false }, \
    { "devices/console", "type tty", false }, \
    { "devices/console/source", "path", false }, \
    { "devices/console/target", "type port", false }, \
    { "devices/console/alias", "name", false }

/* Hints shared by both kinds for elements neither supports. */
#define CONF_HINTS_COMMON \
    { "maxMemory", "memory hotplug is not supported: remove <maxMemory>" }, \
    { "memoryBacking", "guest memory is always ordinary anonymous host memory: remove <memoryBacking>" }, \
    { "numatune", "NUMA placement is not supported: remove <numatune>" }, \
    { "blkiotune", "block I/O tuning is not supported: remove <blkiotune>" }, \
    { "iothreads", "I/O threads are not supported: remove <iothreads>" }, \
    { "sysinfo", "SMBIOS/sysinfo data is not supported: remove <sysinfo>" }, \
    { "seclabel", "security labels (SELinux/AppArmor) are not supported: remove <seclabel>" }, \
    { "keywrap", "remove <keywrap>" }, \
    { "launchSecurity", "confidential guests are not supported: remove <launchSecurity>" }, \
    { "perf", "perf events are not supported: remove <perf>" }, \
    { "on_lockfailure", "there is no lock manager: remove <on_lockfailure>" }, \
    { "clock/", "the guest clock is the host clock: use <clock offset='utc'/> without timers" }, \
    { "devices/hostdev", "host device assignment is not supported: remove <hostdev>" }, \
    { "devices/smartcard", "remove <smartcard>" }, \
    { "devices/redirdev", "USB redirection is not supported: remove <redirdev>" }, \
    { "devices/hub", "remove <hub>" }, \
    { "devices/tpm", "TPM devices are not supported: remove <tpm>" }, \
    { "devices/shmem", "shared-memory devices are not supported: remove <shmem>" }, \
    { "devices/iommu", "remove <iommu>" }, \
    { "devices/vsock", "vsock is not supported: remove <vsock>" }, \
    { "devices/crypto", "remove <crypto>" }, \
    { "devices/audio", "there is no sound: remove <audio>" }, \
    { "devices/sound", "there is no sound: remove <sound> (virt-install --sound none)" }, \
    { "devices/lease", "remove <lease>" }, \
    { "devices/parallel", "remove <parallel>" }, \
    { "devices/console/log", "console logging to a file is not supported: remove <log>" }, \
    { "devices/console/source/", "remove the <source> children: the console is a plain pty" }

/* Parses a decimal in a size unit ("KiB" after libvirt's formatter) to KiB. */
int conf_parse_kib(xmlNode *node, const char *what, uint64_t *out, GError **err);
/* Parses an unsigned decimal with bounds; names @what in the error. */
int conf_parse_uint(const char *text, const char *what, uint64_t min, uint64_t max,
                    uint64_t *out, GError **err);
