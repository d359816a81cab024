/* lite_host.h: host facts the driver reports: sysinfo, and the libvirt build check. */
#pragma once

#include "internal.h"
#include "virsysinfo.h"

/* SMBIOS via dmidecode where the host has it; otherwise the processors from /proc/cpuinfo,
 * so `virsh sysinfo` answers on hosts without DMI tables (such as microVMs). */
virSysinfoDef *liteHostSysinfoRead(void);

/* 0 when the running libvirt is the one the driver was built against; otherwise -1 and
 * @msg names both (a different build can change the internal structs this module uses). */
int liteCheckLibvirtBuild(unsigned long builtVersion, const char *builtId,
                          unsigned long runningVersion, const char *runningId, char **msg);
/* The GNU build-id of the loaded libvirt.so.0, hex, or NULL. */
char *liteRunningLibvirtBuildId(void);
