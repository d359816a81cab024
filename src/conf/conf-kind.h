/* conf-kind.h: what conf.c shares with the VM and container translations. */
#pragma once

#include <libxml/tree.h>

#include "conf-check.h"
#include "conf.h"
#include "i18n.h"

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
    { "maxMemory", N_("memory hotplug is not supported: remove <maxMemory>") }, \
    { "memoryBacking", N_("guest memory is always ordinary anonymous host memory: remove " \
                          "<memoryBacking>") }, \
    { "numatune", N_("NUMA placement is not supported: remove <numatune>") }, \
    { "blkiotune", N_("block I/O tuning is not supported: remove <blkiotune>") }, \
    { "iothreads", N_("I/O threads are not supported: remove <iothreads>") }, \
    { "sysinfo", N_("SMBIOS/sysinfo data is not supported: remove <sysinfo>") }, \
    { "seclabel", N_("security labels (SELinux/AppArmor) are not supported: remove <seclabel>") }, \
    { "keywrap", N_("remove <keywrap>") }, \
    { "launchSecurity", N_("confidential guests are not supported: remove <launchSecurity>") }, \
    { "perf", N_("perf events are not supported: remove <perf>") }, \
    { "on_lockfailure", N_("there is no lock manager: remove <on_lockfailure>") }, \
    { "clock/", N_("the guest clock is the host clock: use <clock offset='utc'/> without " \
                   "timers") }, \
    { "devices/hostdev", N_("host device assignment is not supported: remove <hostdev>") }, \
    { "devices/smartcard", N_("remove <smartcard>") }, \
    { "devices/redirdev", N_("USB redirection is not supported: remove <redirdev>") }, \
    { "devices/hub", N_("remove <hub>") }, \
    { "devices/tpm", N_("TPM devices are not supported: remove <tpm>") }, \
    { "devices/shmem", N_("shared-memory devices are not supported: remove <shmem>") }, \
    { "devices/iommu", N_("remove <iommu>") }, \
    { "devices/vsock", N_("vsock is not supported: remove <vsock>") }, \
    { "devices/crypto", N_("remove <crypto>") }, \
    { "devices/audio", N_("there is no sound: remove <audio>") }, \
    { "devices/sound", N_("there is no sound: remove <sound> (virt-install --sound none)") }, \
    { "devices/lease", N_("remove <lease>") }, \
    { "devices/parallel", N_("remove <parallel>") }, \
    { "devices/console/log", N_("console logging to a file is not supported: remove <log>") }, \
    { "devices/console/source/", N_("remove the <source> children: the console is a plain pty") }

/* Parses a decimal in a size unit ("KiB" after libvirt's formatter) to KiB. */
int conf_parse_kib(xmlNode *node, const char *what, uint64_t *out, GError **err);
/* Parses an unsigned decimal with bounds; names @what in the error. */
int conf_parse_uint(const char *text, const char *what, uint64_t min, uint64_t max,
                    uint64_t *out, GError **err);
