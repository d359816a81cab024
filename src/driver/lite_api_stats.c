/* lite_api_stats.c: what a running domain is using, from its launcher's "query" answer:
 * dominfo, domstats, dommemstat, domifstat. */
#include <config.h>

#include "lite_api.h"
#include "lite_domain.h"
#include "lite_driver.h"
#include "lite_launcher.h"

#include "datatypes.h"
#include "viraccessapicheck.h"
#include "virerror.h"
#include "virlog.h"
#include "virtypedparam.h"

#include "lite_i18n.h"

#define VIR_FROM_THIS VIR_FROM_NONE

VIR_LOG_INIT("lite.api.stats");

/* The launcher's statistics for @vm (locked, job held), or NULL when it is not running or
 * does not answer (the error is reported). */
static lite_msg *
liteDomainQuery(virDomainObj *vm)
{
    g_autoptr(lite_msg) req = lite_msg_new("query");
    lite_msg *reply = NULL;

    if (liteLauncherCall(vm, req, &reply, LITE_LAUNCHER_TIMEOUT_MS) < 0)
        return NULL;
    return reply;
}

static unsigned long long
liteQueryU64(const lite_msg *q, const char *key)
{
    uint64_t v = 0;

    if (q)
        ignore_value(lite_msg_get_u64(q, key, &v));
    return v;
}

/* "PREFIX-I-SUFFIX": a per-vCPU or per-interface key of the query reply. */
static unsigned long long
liteQueryU64Nth(const lite_msg *q, const char *prefix, size_t i, const char *suffix)
{
    g_autofree char *key = g_strdup_printf("%s-%zu-%s", prefix, i, suffix);

    return liteQueryU64(q, key);
}

/* Memory in use: a container's cgroup usage, a VM's guest RAM (there is no balloon). */
static unsigned long long
liteQueryMemoryKiB(virDomainObj *vm, const lite_msg *q)
{
    if (q && lite_msg_get(q, "memory-used-kib"))
        return liteQueryU64(q, "memory-used-kib");
    return virDomainDefGetMemoryTotal(vm->def);
}

int
liteDomainGetInfo(virDomainPtr dom, virDomainInfoPtr info)
{
    virDomainObj *vm;
    g_autoptr(lite_msg) q = NULL;
    int ret = -1;

    if (!(vm = liteDomObjFromDomain(dom->conn->privateData, dom)))
        return -1;
    if (virDomainGetInfoEnsureACL(dom->conn, vm->def) < 0)
        goto cleanup;

    memset(info, 0, sizeof(*info));
    info->maxMem = virDomainDefGetMemoryTotal(vm->def);
    info->memory = info->maxMem;
    info->nrVirtCpu = virDomainDefGetVcpus(vm->def);
    if (virDomainObjIsActive(vm)) {
        if (virDomainObjBeginJob(vm, VIR_JOB_QUERY) < 0)
            goto cleanup;
        q = liteDomainQuery(vm);
        virDomainObjEndJob(vm);
        /* A launcher that just exited has no numbers; the state still answers. */
        if (!q && virDomainObjIsActive(vm))
            goto cleanup;
        virResetLastError();
        info->cpuTime = liteQueryU64(q, "cpu-time-ns");
        info->memory = liteQueryMemoryKiB(vm, q);
    }
    info->state = virDomainObjGetState(vm, NULL);
    ret = 0;

 cleanup:
    virDomainObjEndAPI(&vm);
    return ret;
}

int
liteDomainMemoryStats(virDomainPtr dom, virDomainMemoryStatPtr stats, unsigned int nr_stats,
                      unsigned int flags)
{
    virDomainObj *vm;
    g_autoptr(lite_msg) q = NULL;
    int ret = -1;

    virCheckFlags(0, -1);
    if (!(vm = liteDomObjFromDomain(dom->conn->privateData, dom)))
        return -1;
    if (virDomainMemoryStatsEnsureACL(dom->conn, vm->def) < 0)
        goto cleanup;
    if (virDomainObjBeginJob(vm, VIR_JOB_QUERY) < 0)
        goto cleanup;
    if (virDomainObjCheckActive(vm) == 0 && (q = liteDomainQuery(vm))) {
        struct { int tag; unsigned long long val; } all[] = {
            { VIR_DOMAIN_MEMORY_STAT_ACTUAL_BALLOON, virDomainDefGetMemoryTotal(vm->def) },
            { VIR_DOMAIN_MEMORY_STAT_RSS, lite_msg_get(q, "rss-kib") ?
                                          liteQueryU64(q, "rss-kib") :
                                          liteQueryU64(q, "memory-used-kib") },
        };

        ret = 0;
        for (size_t i = 0; i < G_N_ELEMENTS(all) && (unsigned int)ret < nr_stats; i++) {
            stats[ret].tag = all[i].tag;
            stats[ret].val = all[i].val;
            ret++;
        }
    }
    virDomainObjEndJob(vm);

 cleanup:
    virDomainObjEndAPI(&vm);
    return ret;
}

/* The index of @device (host-side name or MAC) among the interfaces the launcher reports. */
static int
liteQueryNetIndex(virDomainObj *vm, const lite_msg *q, const char *device)
{
    for (size_t i = 0; i < vm->def->nnets; i++) {
        g_autofree char *key = g_strdup_printf("net-%zu-name", i);
        char mac[VIR_MAC_STRING_BUFLEN];

        virMacAddrFormat(&vm->def->nets[i]->mac, mac);
        if (STREQ_NULLABLE(lite_msg_get(q, key), device) || STRCASEEQ(mac, device))
            return (int)i;
    }
    return -1;
}

int
liteDomainInterfaceStats(virDomainPtr dom, const char *device,
                         virDomainInterfaceStatsPtr stats)
{
    virDomainObj *vm;
    g_autoptr(lite_msg) q = NULL;
    int ret = -1;
    int i;

    if (!(vm = liteDomObjFromDomain(dom->conn->privateData, dom)))
        return -1;
    if (virDomainInterfaceStatsEnsureACL(dom->conn, vm->def) < 0)
        goto cleanup;
    if (virDomainObjBeginJob(vm, VIR_JOB_QUERY) < 0)
        goto cleanup;
    if (virDomainObjCheckActive(vm) < 0 || !(q = liteDomainQuery(vm)))
        goto endjob;
    if ((i = liteQueryNetIndex(vm, q, device)) < 0) {
        virReportError(VIR_ERR_INVALID_ARG, _("domain '%s' has no interface '%s'"),
                       vm->def->name, device);
        goto endjob;
    }
    stats->rx_bytes = liteQueryU64Nth(q, "net", i, "rx-bytes");
    stats->rx_packets = liteQueryU64Nth(q, "net", i, "rx-packets");
    stats->rx_errs = liteQueryU64Nth(q, "net", i, "rx-errs");
    stats->rx_drop = liteQueryU64Nth(q, "net", i, "rx-drop");
    stats->tx_bytes = liteQueryU64Nth(q, "net", i, "tx-bytes");
    stats->tx_packets = liteQueryU64Nth(q, "net", i, "tx-packets");
    stats->tx_errs = liteQueryU64Nth(q, "net", i, "tx-errs");
    stats->tx_drop = liteQueryU64Nth(q, "net", i, "tx-drop");
    ret = 0;

 endjob:
    virDomainObjEndJob(vm);
 cleanup:
    virDomainObjEndAPI(&vm);
    return ret;
}

#define LITE_SUPPORTED_STATS (VIR_DOMAIN_STATS_STATE | VIR_DOMAIN_STATS_CPU_TOTAL | \
                              VIR_DOMAIN_STATS_BALLOON | VIR_DOMAIN_STATS_VCPU | \
                              VIR_DOMAIN_STATS_INTERFACE)

static int
liteDomainStatsAdd(virDomainObj *vm, const lite_msg *q, unsigned int stats,
                   virTypedParamList *list)
{
    int state;
    int reason;

    state = virDomainObjGetState(vm, &reason);
    if ((stats & VIR_DOMAIN_STATS_STATE) &&
        (virTypedParamListAddInt(list, state, "state.state") < 0 ||
         virTypedParamListAddInt(list, reason, "state.reason") < 0))
        return -1;
    if (!q)
        return 0;
    if ((stats & VIR_DOMAIN_STATS_CPU_TOTAL) &&
        virTypedParamListAddULLong(list, liteQueryU64(q, "cpu-time-ns"), "cpu.time") < 0)
        return -1;
    if ((stats & VIR_DOMAIN_STATS_BALLOON) &&
        (virTypedParamListAddULLong(list, liteQueryMemoryKiB(vm, q), "balloon.current") < 0 ||
         virTypedParamListAddULLong(list, virDomainDefGetMemoryTotal(vm->def),
                                    "balloon.maximum") < 0))
        return -1;
    if ((stats & VIR_DOMAIN_STATS_BALLOON) && lite_msg_get(q, "rss-kib") &&
        virTypedParamListAddULLong(list, liteQueryU64(q, "rss-kib"), "balloon.rss") < 0)
        return -1;
    if (stats & VIR_DOMAIN_STATS_VCPU) {
        unsigned int n = virDomainDefGetVcpus(vm->def);

        if (virTypedParamListAddUInt(list, n, "vcpu.current") < 0 ||
            virTypedParamListAddUInt(list, virDomainDefGetVcpusMax(vm->def),
                                     "vcpu.maximum") < 0)
            return -1;
        for (size_t i = 0; lite_msg_get(q, "vcpu-count") && i < n; i++) {
            g_autofree char *key = g_strdup_printf("vcpu-%zu-state", i);
            const char *s = lite_msg_get(q, key);
            int vs = g_strcmp0(s, "running") == 0 ? VIR_VCPU_RUNNING :
                     g_strcmp0(s, "paused") == 0 ? VIR_VCPU_BLOCKED : VIR_VCPU_OFFLINE;

            if (virTypedParamListAddInt(list, vs, "vcpu.%zu.state", i) < 0 ||
                virTypedParamListAddULLong(list, liteQueryU64Nth(q, "vcpu", i, "time-ns"),
                                           "vcpu.%zu.time", i) < 0)
                return -1;
        }
    }
    if ((stats & VIR_DOMAIN_STATS_INTERFACE) && vm->def->nnets > 0) {
        static const char *const keys[] = { "rx-bytes", "rx-packets", "rx-errs", "rx-drop",
                                            "tx-bytes", "tx-packets", "tx-errs", "tx-drop" };
        static const char *const names[] = { "rx.bytes", "rx.pkts", "rx.errs", "rx.drop",
                                             "tx.bytes", "tx.pkts", "tx.errs", "tx.drop" };

        if (virTypedParamListAddUInt(list, vm->def->nnets, "net.count") < 0)
            return -1;
        for (size_t i = 0; i < vm->def->nnets; i++) {
            g_autofree char *nameKey = g_strdup_printf("net-%zu-name", i);

            if (lite_msg_get(q, nameKey) &&
                virTypedParamListAddString(list, lite_msg_get(q, nameKey), "net.%zu.name",
                                           i) < 0)
                return -1;
            for (size_t k = 0; k < G_N_ELEMENTS(keys); k++) {
                if (virTypedParamListAddULLong(list, liteQueryU64Nth(q, "net", i, keys[k]),
                                               "net.%zu.%s", i, names[k]) < 0)
                    return -1;
            }
        }
    }
    return 0;
}

int
liteConnectGetAllDomainStats(virConnectPtr conn, virDomainPtr *doms, unsigned int ndoms,
                             unsigned int stats, virDomainStatsRecordPtr **retStats,
                             unsigned int flags)
{
    liteDriver *driver = conn->privateData;
    unsigned int lflags = flags & (VIR_CONNECT_LIST_DOMAINS_FILTERS_ACTIVE |
                                   VIR_CONNECT_LIST_DOMAINS_FILTERS_PERSISTENT |
                                   VIR_CONNECT_LIST_DOMAINS_FILTERS_STATE);
    virDomainStatsRecordPtr *records = NULL;
    virDomainObj **vms = NULL;
    size_t nvms = 0;
    int nrecords = 0;
    int ret = -1;

    virCheckFlags(VIR_CONNECT_LIST_DOMAINS_FILTERS_ACTIVE |
                  VIR_CONNECT_LIST_DOMAINS_FILTERS_PERSISTENT |
                  VIR_CONNECT_LIST_DOMAINS_FILTERS_STATE |
                  VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT |
                  VIR_CONNECT_GET_ALL_DOMAINS_STATS_BACKING |
                  VIR_CONNECT_GET_ALL_DOMAINS_STATS_ENFORCE_STATS, -1);
    if (virConnectGetAllDomainStatsEnsureACL(conn) < 0)
        return -1;
    if ((flags & VIR_CONNECT_GET_ALL_DOMAINS_STATS_ENFORCE_STATS) &&
        (stats & ~LITE_SUPPORTED_STATS)) {
        virReportError(VIR_ERR_ARGUMENT_UNSUPPORTED,
                       _("statistics 0x%x are not supported by lite domains"),
                       stats & ~LITE_SUPPORTED_STATS);
        return -1;
    }
    if (stats == 0)
        stats = LITE_SUPPORTED_STATS;
    stats &= LITE_SUPPORTED_STATS;

    if (ndoms) {
        if (virDomainObjListConvert(driver->domains, conn, doms, ndoms, &vms, &nvms,
                                    virConnectGetAllDomainStatsCheckACL, lflags, true) < 0)
            return -1;
    } else {
        virDomainObjListCollect(driver->domains, conn, &vms, &nvms,
                                virConnectGetAllDomainStatsCheckACL, lflags);
    }

    records = g_new0(virDomainStatsRecordPtr, nvms + 1);
    for (size_t i = 0; i < nvms; i++) {
        virDomainObj *vm = vms[i];
        g_autoptr(virTypedParamList) list = g_new0(virTypedParamList, 1);
        g_autoptr(lite_msg) q = NULL;
        virDomainStatsRecordPtr rec;
        int rc;

        virObjectLock(vm);
        if (virDomainObjIsActive(vm) && (stats & ~VIR_DOMAIN_STATS_STATE)) {
            rc = (flags & VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT) ?
                 virDomainObjBeginJobNowait(vm, VIR_JOB_QUERY) :
                 virDomainObjBeginJob(vm, VIR_JOB_QUERY);
            if (rc == 0) {
                q = liteDomainQuery(vm);
                virDomainObjEndJob(vm);
            }
            /* One busy or vanishing domain must not fail the whole listing. */
            virResetLastError();
        }
        rc = liteDomainStatsAdd(vm, q, stats, list);
        if (rc == 0) {
            rec = g_new0(virDomainStatsRecord, 1);
            rec->dom = virGetDomain(conn, vm->def->name, vm->def->uuid, vm->def->id);
            rec->nparams = virTypedParamListStealParams(list, &rec->params);
            records[nrecords++] = rec;
        }
        virObjectUnlock(vm);
        if (rc < 0)
            goto cleanup;
    }
    *retStats = g_steal_pointer(&records);
    ret = nrecords;

 cleanup:
    virDomainStatsRecordListFree(records);
    virObjectListFreeCount(vms, nvms);
    return ret;
}
