/* ns-devfilter.c: device access control on cgroup v2: a tiny BPF program built from a rule
 * table, one compare chain per rule:
 *
 *   r2 = ctx->access_type & 0xffff (device type); r4 = ctx->major; r5 = ctx->minor
 *   for each rule: if type/major/minor differ goto next; return 1
 *   return 0
 */
#include "ns-devfilter.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/bpf.h>

#include <glib.h>

#include "fd.h"

const ns_dev_rule ns_dev_allowed[] = {
    { 'c', 1, 3 },      /* null */
    { 'c', 1, 5 },      /* zero */
    { 'c', 1, 7 },      /* full */
    { 'c', 1, 8 },      /* random */
    { 'c', 1, 9 },      /* urandom */
    { 'c', 5, 0 },      /* tty */
    { 'c', 5, 1 },      /* console */
    { 'c', 5, 2 },      /* ptmx */
    { 'c', 136, -1 },   /* pty slaves, the console's among them */
    { 0, 0, 0 },
};

static struct bpf_insn
insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
    return (struct bpf_insn){ .code = code, .dst_reg = dst, .src_reg = src, .off = off,
                              .imm = imm };
}

static GArray *
build_program(const ns_dev_rule *rules)
{
    GArray *p = g_array_new(FALSE, FALSE, sizeof(struct bpf_insn));
    struct bpf_insn head[] = {
        insn(BPF_LDX | BPF_W | BPF_MEM, BPF_REG_2, BPF_REG_1, 0, 0),
        insn(BPF_ALU | BPF_AND | BPF_K, BPF_REG_2, 0, 0, 0xffff),
        insn(BPF_LDX | BPF_W | BPF_MEM, BPF_REG_4, BPF_REG_1, 4, 0),
        insn(BPF_LDX | BPF_W | BPF_MEM, BPF_REG_5, BPF_REG_1, 8, 0),
    };
    struct bpf_insn deny[] = {
        insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0),
        insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
    };

    g_array_append_vals(p, head, G_N_ELEMENTS(head));
    for (const ns_dev_rule *r = rules; r->type; r++) {
        struct bpf_insn tests[3];
        int n = 0;

        tests[n++] = insn(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_2, 0, 0,
                          r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR);
        if (r->major >= 0)
            tests[n++] = insn(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_4, 0, 0, r->major);
        if (r->minor >= 0)
            tests[n++] = insn(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_5, 0, 0, r->minor);
        /* Each failed test skips the rest of this rule: the later tests and the "allow". */
        for (int i = 0; i < n; i++) {
            tests[i].off = (int16_t)(n - i - 1 + 2);
            g_array_append_val(p, tests[i]);
        }
        g_array_append_val(p, ((struct bpf_insn){ 0 }));
        g_array_index(p, struct bpf_insn, p->len - 1) =
            insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 1);
        g_array_append_vals(p, &deny[1], 1);
    }
    g_array_append_vals(p, deny, G_N_ELEMENTS(deny));
    return p;
}

int
ns_devfilter_attach(const char *dir, const ns_dev_rule *rules, char **why)
{
    g_autoptr(GArray) prog = build_program(rules);
    char log[4096] = "";
    union bpf_attr load = {
        .prog_type = BPF_PROG_TYPE_CGROUP_DEVICE,
        .insns = (uint64_t)(uintptr_t)prog->data,
        .insn_cnt = prog->len,
        .license = (uint64_t)(uintptr_t)"GPL",
        .log_buf = (uint64_t)(uintptr_t)log,
        .log_size = sizeof(log),
        .log_level = 1,
    };
    lite_autofd progfd = -1;
    lite_autofd cgfd = -1;
    union bpf_attr attach = { 0 };
    int ret;

    progfd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &load, sizeof(load));
    if (progfd < 0) {
        ret = -errno;
        *why = g_strdup_printf("cannot load the device filter: %s %s", g_strerror(-ret), log);
        return ret;
    }
    cgfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (cgfd < 0) {
        ret = -errno;
        *why = g_strdup_printf("cannot open %s: %s", dir, g_strerror(-ret));
        return ret;
    }
    attach.target_fd = (uint32_t)cgfd;
    attach.attach_bpf_fd = (uint32_t)progfd;
    attach.attach_type = BPF_CGROUP_DEVICE;
    attach.attach_flags = BPF_F_ALLOW_MULTI;
    if (syscall(SYS_bpf, BPF_PROG_ATTACH, &attach, sizeof(attach)) < 0) {
        ret = -errno;
        *why = g_strdup_printf("cannot attach the device filter to %s: %s", dir,
                               g_strerror(-ret));
        return ret;
    }
    return 0;
}
