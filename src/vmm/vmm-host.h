/* vmm-host.h: what kind of /dev/kvm this host has. */
#pragma once

#include <stdbool.h>

/* True when /dev/kvm is PVM (kvm_pvm): the CPU flags under @root/proc/cpuinfo have neither
 * svm nor vmx and @root/sys/module/kvm_pvm exists. @root is "" for the real host (tests pass
 * a fake tree). */
bool vmm_host_is_pvm(const char *root);
