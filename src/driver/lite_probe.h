/* lite_probe.h: what this host can run, as reported by the launchers themselves. */
#pragma once

#include <stdbool.h>

/* The driver never opens /dev/kvm or creates namespaces itself: it asks each launcher
 * (`lite-vmm --probe`, `lite-ns --probe`) once at start-up and reports what they said. */
typedef struct {
    bool vmOk;            /* lite-vmm can start VMs on this host */
    bool vmPvm;           /* /dev/kvm is PVM: only PVH ELF and test guests, no bzImage */
    unsigned int vmMaxVcpus;
    char *vmReason;       /* why vmOk is false */
    bool ctOk;            /* lite-ns can start containers on this host */
    char *ctReason;
} liteHostProbe;

void liteHostProbeRun(liteHostProbe *probe, const char *vmmPath, const char *nsPath);
void liteHostProbeClear(liteHostProbe *probe);
