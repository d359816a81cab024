/* test-cpuid-host.c: CPUID filtering (topology, hypervisor bit, what this VMM does not
 * emulate, XSAVE off without KVM_CAP_XSAVE) and recognizing a PVM host from a fake /proc
 * and /sys. */
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>

#include "cpuid.h"
#include "vmm-host.h"

static struct kvm_cpuid2 *
fake_cpuid(void)
{
    static const struct kvm_cpuid_entry2 leaves[] = {
        { .function = 0, .eax = 0xd },
        { .function = 1, .ebx = 0x00010800, .ecx = (1u << 3) | (1u << 5) | (1u << 24) |
                                                   (1u << 26) | (1u << 28), .edx = 1u << 28 },
        { .function = 4, .index = 0, .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX, .eax = 0x121 },
        { .function = 5, .eax = 0x40, .ebx = 0x40, .ecx = 3 },
        { .function = 7, .index = 0, .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
          .ebx = (1u << 5) | (1u << 16) },
        { .function = 0xa, .eax = 0x07300402 },
        { .function = 0xb, .index = 0, .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX },
        { .function = 0xb, .index = 1, .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX },
        { .function = 0xd, .index = 0, .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX, .eax = 7 },
        { .function = 0xd, .index = 1, .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX, .eax = 1 },
        { .function = 0x80000001, .ecx = (1u << 2) | 1u },
        { .function = 0x80000008, .ecx = 0x7007 },
        { .function = 0x8000001e, .eax = 9, .ebx = 0x105, .ecx = 0x300 },
    };
    struct kvm_cpuid2 *c = g_malloc0(sizeof(*c) + sizeof(leaves));

    c->nent = G_N_ELEMENTS(leaves);
    memcpy(c->entries, leaves, sizeof(leaves));
    return c;
}

static void
test_filter_topology_and_features(void)
{
    g_autofree struct kvm_cpuid2 *c = fake_cpuid();
    struct kvm_cpuid_entry2 *e;

    vmm_cpuid_filter(c, 2, 3, true, true);
    e = vmm_cpuid_find(c, 1, 0);
    g_assert_cmpuint(e->ebx >> 24, ==, 2);                  /* APIC ID */
    g_assert_cmpuint((e->ebx >> 16) & 0xff, ==, 3);         /* logical CPUs */
    g_assert_cmpuint(e->ebx & 0xffff, ==, 0x0800);          /* the rest untouched */
    g_assert_cmpuint(e->ecx & (1u << 31), !=, 0);           /* hypervisor */
    g_assert_cmpuint(e->ecx & (1u << 3), ==, 0);            /* no MONITOR */
    g_assert_cmpuint(e->ecx & (1u << 5), ==, 0);            /* no VMX */
    g_assert_cmpuint(e->ecx & (1u << 26), !=, 0);           /* XSAVE kept */
    g_assert_cmpuint(e->ecx & (1u << 24), !=, 0);           /* TSC deadline announced */
    g_assert_cmpuint(vmm_cpuid_find(c, 4, 0)->eax >> 26, ==, 2);
    g_assert_cmpuint(vmm_cpuid_find(c, 5, 0)->eax, ==, 0);
    g_assert_cmpuint(vmm_cpuid_find(c, 0xa, 0)->eax, ==, 0);  /* no PMU */
    g_assert_cmpuint(vmm_cpuid_find(c, 0xb, 0)->edx, ==, 2);  /* x2APIC ID */
    g_assert_cmpuint(vmm_cpuid_find(c, 0xb, 1)->ebx, ==, 3);
    g_assert_cmpuint(vmm_cpuid_find(c, 0xb, 1)->eax, ==, 2);  /* shift for 3 CPUs */
    g_assert_cmpuint(vmm_cpuid_find(c, 0x80000001, 0)->ecx, ==, 1);  /* no SVM */
    g_assert_cmpuint(vmm_cpuid_find(c, 0x80000008, 0)->ecx, ==, 2);  /* AMD: 3 cores */
    g_assert_cmpuint(vmm_cpuid_find(c, 0x8000001e, 0)->eax, ==, 2);  /* AMD: APIC ID */
    g_assert_cmpuint(vmm_cpuid_find(c, 0x8000001e, 0)->ebx, ==, 2);
    g_assert_nonnull(vmm_cpuid_find(c, 0xd, 1));
}

static void
test_filter_without_xsave(void)
{
    g_autofree struct kvm_cpuid2 *c = fake_cpuid();
    struct kvm_cpuid_entry2 *e;

    vmm_cpuid_filter(c, 0, 1, false, false);
    e = vmm_cpuid_find(c, 1, 0);
    g_assert_cmpuint(e->ecx & ((1u << 26) | (1u << 27) | (1u << 28)), ==, 0);
    g_assert_cmpuint(e->edx & (1u << 28), ==, 0);           /* one CPU: no HTT */
    g_assert_cmpuint(e->ecx & (1u << 24), ==, 0);           /* no KVM_CAP_TSC_DEADLINE_TIMER */
    g_assert_null(vmm_cpuid_find(c, 0xd, 0));
    g_assert_null(vmm_cpuid_find(c, 0xd, 1));
    g_assert_cmpuint(vmm_cpuid_find(c, 7, 0)->ebx & ((1u << 5) | (1u << 16)), ==, 0);
    g_assert_cmpuint(c->nent, ==, 11);
}

static void
fake_host(const char *root, const char *flags, bool pvm_module)
{
    g_autofree char *proc = g_build_filename(root, "proc", NULL);
    g_autofree char *mod = g_build_filename(root, "sys", "module", "kvm_pvm", NULL);
    g_autofree char *cpuinfo = g_build_filename(proc, "cpuinfo", NULL);
    g_autofree char *text = g_strdup_printf("processor\t: 0\nflags\t\t: %s\n\n", flags);

    g_mkdir_with_parents(proc, 0755);
    g_file_set_contents(cpuinfo, text, -1, NULL);
    if (pvm_module)
        g_mkdir_with_parents(mod, 0755);
    else
        rmdir(mod);
}

static void
test_recognizes_pvm(void)
{
    g_autofree char *root = g_dir_make_tmp("lite-host-XXXXXX", NULL);
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", root);

    fake_host(root, "fpu vme de pse tsc msr pae sse sse2 hypervisor", true);
    g_assert_true(vmm_host_is_pvm(root));
    /* Real hardware virtualization is never taken for PVM, module or not. */
    fake_host(root, "fpu vme svm sse2", true);
    g_assert_false(vmm_host_is_pvm(root));
    fake_host(root, "fpu vmx sse2", true);
    g_assert_false(vmm_host_is_pvm(root));
    /* "svm" must be a whole flag, not part of one. */
    fake_host(root, "fpu svmx_like sse2", true);
    g_assert_true(vmm_host_is_pvm(root));
    fake_host(root, "fpu sse2", false);
    g_assert_false(vmm_host_is_pvm(root));
    g_assert_cmpint(system(cmd), ==, 0);
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/vmm/cpuid/filter-topology-and-features", test_filter_topology_and_features);
    g_test_add_func("/vmm/cpuid/filter-without-xsave", test_filter_without_xsave);
    g_test_add_func("/vmm/host/recognizes-pvm", test_recognizes_pvm);
    return g_test_run();
}
