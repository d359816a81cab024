/* lite_api.h: the libvirt callbacks implemented outside lite_driver.c, for its table. */
#pragma once

#include "internal.h"
#include "driver.h"

/* lite_api_config.c: listing, lookup, definitions, XML, autostart, metadata */
int liteConnectListDomains(virConnectPtr conn, int *ids, int nids);
int liteConnectNumOfDomains(virConnectPtr conn);
int liteConnectListDefinedDomains(virConnectPtr conn, char **const names, int nnames);
int liteConnectNumOfDefinedDomains(virConnectPtr conn);
int liteConnectListAllDomains(virConnectPtr conn, virDomainPtr **domains, unsigned int flags);
virDomainPtr liteDomainLookupByID(virConnectPtr conn, int id);
virDomainPtr liteDomainLookupByUUID(virConnectPtr conn, const unsigned char *uuid);
virDomainPtr liteDomainLookupByName(virConnectPtr conn, const char *name);
virDomainPtr liteDomainDefineXMLFlags(virConnectPtr conn, const char *xml, unsigned int flags);
virDomainPtr liteDomainDefineXML(virConnectPtr conn, const char *xml);
int liteDomainUndefineFlags(virDomainPtr dom, unsigned int flags);
int liteDomainUndefine(virDomainPtr dom);
int liteDomainGetState(virDomainPtr dom, int *state, int *reason, unsigned int flags);
char *liteDomainGetXMLDesc(virDomainPtr dom, unsigned int flags);
char *liteDomainGetOSType(virDomainPtr dom);
unsigned long long liteDomainGetMaxMemory(virDomainPtr dom);
int liteDomainGetVcpusFlags(virDomainPtr dom, unsigned int flags);
int liteDomainGetMaxVcpus(virDomainPtr dom);
int liteDomainIsActive(virDomainPtr dom);
int liteDomainIsPersistent(virDomainPtr dom);
int liteDomainIsUpdated(virDomainPtr dom);
int liteDomainGetAutostart(virDomainPtr dom, int *autostart);
int liteDomainSetAutostart(virDomainPtr dom, int autostart);
int liteDomainSetMetadata(virDomainPtr dom, int type, const char *metadata, const char *key,
                          const char *uri, unsigned int flags);
char *liteDomainGetMetadata(virDomainPtr dom, int type, const char *uri, unsigned int flags);
int liteDomainGetMessages(virDomainPtr dom, char ***msgs, unsigned int flags);

/* lite_api_lifecycle.c: start, stop, pause, console */
int liteDomainCreateWithFlags(virDomainPtr dom, unsigned int flags);
int liteDomainCreate(virDomainPtr dom);
virDomainPtr liteDomainCreateXML(virConnectPtr conn, const char *xml, unsigned int flags);
int liteDomainDestroyFlags(virDomainPtr dom, unsigned int flags);
int liteDomainDestroy(virDomainPtr dom);
int liteDomainShutdownFlags(virDomainPtr dom, unsigned int flags);
int liteDomainShutdown(virDomainPtr dom);
int liteDomainReboot(virDomainPtr dom, unsigned int flags);
int liteDomainReset(virDomainPtr dom, unsigned int flags);
int liteDomainSuspend(virDomainPtr dom);
int liteDomainResume(virDomainPtr dom);
int liteDomainOpenConsole(virDomainPtr dom, const char *devname, virStreamPtr st,
                          unsigned int flags);
int liteDomainHasManagedSaveImage(virDomainPtr dom, unsigned int flags);

/* lite_api_stats.c: what running domains use */
int liteDomainGetInfo(virDomainPtr dom, virDomainInfoPtr info);
int liteDomainMemoryStats(virDomainPtr dom, virDomainMemoryStatPtr stats,
                          unsigned int nr_stats, unsigned int flags);
int liteDomainInterfaceStats(virDomainPtr dom, const char *device,
                             virDomainInterfaceStatsPtr stats);
int liteConnectGetAllDomainStats(virConnectPtr conn, virDomainPtr *doms, unsigned int ndoms,
                                 unsigned int stats, virDomainStatsRecordPtr **retStats,
                                 unsigned int flags);
