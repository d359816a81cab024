/* conf-vm.c: what a lite VM accepts from domain XML, and its translation. */
#include <errno.h>
#include <string.h>

#include "conf-kind.h"
#include "i18n.h"

static const conf_allow vm_allow[] = {
    CONF_ALLOW_COMMON,
    { "vcpu", "placement current", false },
    { "os/type", "arch", false },
    { "os/kernel", NULL, false },
    { "os/initrd", NULL, false },
    { "os/cmdline", NULL, false },
    { "features", NULL, false },
    { "features/acpi", NULL, false },
    { "features/apic", NULL, false },
    { "features/pae", NULL, false },
    { "cpu", "mode check migratable match", false },
    { "pm", NULL, false },
    { "pm/suspend-to-mem", "enabled", false },
    { "pm/suspend-to-disk", "enabled", false },
    { "devices/serial", "type", false },
    { "devices/serial/source", "path", false },
    { "devices/serial/target", "type port", false },
    { "devices/serial/target/model", "name", false },
    { "devices/serial/alias", "name", false },
    { "devices/memballoon", "model", false },
    { NULL, NULL, false },
};

static const conf_hint vm_hints[] = {
    { "vcpu@cpuset", N_("pinning the vCPUs of a lite VM is not supported yet: remove cpuset") },
    { "vcpus", N_("per-vCPU settings are not supported: use <vcpu>N</vcpu>") },
    { "cputune", N_("CPU tuning of lite VMs is not supported yet: remove <cputune>") },
    { "memtune", N_("memory tuning of lite VMs is not supported yet: remove <memtune>") },
    { "resource", N_("remove <resource>: lite VMs are not placed in cgroup partitions") },
    { "idmap", N_("<idmap> is for containers (<domain type='lxc'>)") },
    { "os/type@machine", N_("lite VMs have one machine type: remove machine='...' from "
                            "<os><type>") },
    { "os/boot", N_("lite VMs boot a kernel directly and have no firmware boot order: use "
                 "<os><kernel>PATH</kernel> (virt-install --boot kernel=PATH,initrd=PATH,"
                 "kernel_args=\"console=ttyS0\" --import)") },
    { "os/loader", N_("lite VMs have no firmware: boot a kernel with <os><kernel>") },
    { "os/nvram", N_("lite VMs have no firmware: boot a kernel with <os><kernel>") },
    { "os/", N_("lite VMs accept only <type>, <kernel>, <initrd> and <cmdline> in <os>") },
    { "os/init", N_("<init> is for containers (<domain type='lxc'> with <os><type>exe</type>)") },
    { "features/", N_("lite VMs always have ACPI and an APIC; other <features> are not "
                   "supported: keep only <acpi/>, <apic/>, <pae/>") },
    { "cpu/", N_("lite VMs see the host CPU: use <cpu mode='host-passthrough'/> without "
              "model, topology or feature elements (virt-install --cpu host-passthrough)") },
    { "devices/disk", N_("lite VMs have no disks yet (IDE, SATA or virtio): boot from <kernel> "
                      "and <initrd> (virt-install --disk none --import)") },
    { "devices/interface", N_("lite VMs have no network devices yet, e1000 or virtio "
                              "(virt-install --network none)") },
    { "devices/filesystem", N_("lite VMs cannot share host directories: remove <filesystem>; "
                            "for a container use <domain type='lxc'> (virt-install --container)") },
    { "devices/graphics", N_("lite VMs have no display; the console is the serial port "
                          "(virt-install --graphics none, which also leaves out video and the "
                          "tablet; then virsh console)") },
    { "devices/video", N_("lite VMs have no display: remove <video> (virt-install --graphics "
                       "none)") },
    { "devices/input", N_("lite VMs have no keyboard, mouse or tablet: remove <input> "
                       "(virt-install --graphics none)") },
    { "devices/controller", N_("lite VMs have no USB, IDE, SATA or SCSI controllers: remove "
                            "<controller>") },
    { "devices/channel", N_("guest agent channels are not supported: remove <channel>") },
    { "devices/rng", N_("a virtio RNG is not supported yet: remove <rng>") },
    { "devices/vsock", N_("vsock is not supported: remove <vsock> (do not pass virt-install "
                       "--vsock none, it adds one)") },
    { "devices/watchdog", N_("remove <watchdog>") },
    { "devices/panic", N_("remove <panic>: a guest crash is reported per <on_crash>") },
    { "devices/memory", N_("memory hotplug is not supported: remove <memory> devices") },
    { "devices/memballoon/", N_("there is no memory balloon: use <memballoon model='none'/>") },
    { "devices/serial/", N_("the serial port is a plain pty: <serial type='pty'><target "
                            "port='0'/>") },
    /* Last: a kind's own hint for an element wins over the shared one. */
    CONF_HINTS_COMMON,
    { NULL, NULL },
};

static int
vm_vcpus(xmlNode *root, lite_launch *l, GError **err)
{
    xmlNode *vcpu = conf_child(root, "vcpu");
    g_autofree char *text = conf_text(vcpu, NULL);
    g_autofree char *placement = conf_attr(vcpu, "placement");
    g_autofree char *current = conf_attr(vcpu, "current");
    uint64_t n = 1;

    if (text && conf_parse_uint(text, "<vcpu>", 1, 4096, &n, err) < 0)
        return -EINVAL;
    if (placement && strcmp(placement, "static") != 0) {
        conf_fail(err, LITE_CONF_ERR_UNSUPPORTED,
                  "<vcpu placement='%s'> is not supported: remove placement", placement);
        return -EINVAL;
    }
    if (current && g_ascii_strtoull(current, NULL, 10) != n) {
        conf_fail(err, LITE_CONF_ERR_UNSUPPORTED,
                  "<vcpu current='%s'>%" G_GUINT64_FORMAT "</vcpu>: vCPU hotplug is not "
                  "supported, remove current", current, (guint64)n);
        return -EINVAL;
    }
    l->vcpus = (uint32_t)n;
    return 0;
}

static int
vm_os(xmlNode *root, lite_launch *l, GError **err)
{
    g_autofree char *arch = conf_path_attr(root, "os/type", "arch");

    if (arch && strcmp(arch, "x86_64") != 0) {
        conf_fail(err, LITE_CONF_ERR_UNSUPPORTED,
                  "<os><type arch='%s'> is not supported: lite VMs are x86_64", arch);
        return -EINVAL;
    }
    l->boot.kernel = conf_text(root, "os/kernel");
    l->boot.initrd = conf_text(root, "os/initrd");
    l->boot.cmdline = conf_text(root, "os/cmdline");
    if (!l->boot.kernel || !*l->boot.kernel) {
        conf_fail(err, LITE_CONF_ERR_UNSUPPORTED,
                  "a lite VM boots a kernel directly: add <os><kernel>/path/to/vmlinuz</kernel> "
                  "(virt-install --boot kernel=PATH,initrd=PATH,kernel_args=\"console=ttyS0\")");
        return -EINVAL;
    }
    if (!g_path_is_absolute(l->boot.kernel) ||
        (l->boot.initrd && !g_path_is_absolute(l->boot.initrd))) {
        conf_fail(err, LITE_CONF_ERR_INVALID, "<kernel> and <initrd> must be absolute paths");
        return -EINVAL;
    }
    if (l->boot.initrd && !*l->boot.initrd)
        g_clear_pointer(&l->boot.initrd, g_free);
    return 0;
}

static int
vm_cpu_and_pm(xmlNode *root, GError **err)
{
    g_autofree char *mode = conf_path_attr(root, "cpu", "mode");
    const char *pm[] = { "pm/suspend-to-mem", "pm/suspend-to-disk" };

    if (conf_child(root, "cpu") && g_strcmp0(mode, "host-passthrough") != 0) {
        conf_fail(err, LITE_CONF_ERR_UNSUPPORTED,
                  "<cpu mode='%s'> is not supported: lite VMs see the host CPU, use "
                  "<cpu mode='host-passthrough'/> (virt-install --cpu host-passthrough)",
                  mode ? mode : "custom");
        return -EINVAL;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(pm); i++) {
        g_autofree char *enabled = conf_path_attr(root, pm[i], "enabled");

        if (enabled && strcmp(enabled, "no") != 0) {
            conf_fail(err, LITE_CONF_ERR_UNSUPPORTED,
                      "<%s enabled='%s'>: guest suspend is not supported, use enabled='no'",
                      pm[i], enabled);
            return -EINVAL;
        }
    }
    return 0;
}

/* One serial port, ttyS0, on a pty: <serial> and <console> both describe it (libvirt adds
 * the <serial> twin of a serial <console> itself). */
static int
vm_console(xmlNode *root, lite_launch *l, GError **err)
{
    xmlNode *devices = conf_child(root, "devices");
    g_autoptr(GPtrArray) serials = conf_children(devices, "serial");
    g_autoptr(GPtrArray) consoles = conf_children(devices, "console");
    g_autofree char *balloon = conf_path_attr(devices, "memballoon", "model");

    if (serials->len > 1 || consoles->len > 1) {
        conf_fail(err, LITE_CONF_ERR_UNSUPPORTED,
                  "lite VMs have one serial port (ttyS0): keep one <serial type='pty'> and one "
                  "<console type='pty'>");
        return -EINVAL;
    }
    for (guint i = 0; i < serials->len + consoles->len; i++) {
        xmlNode *dev = i < serials->len ? serials->pdata[i] : consoles->pdata[i - serials->len];
        const char *el = (const char *)dev->name;
        g_autofree char *type = conf_attr(dev, "type");
        g_autofree char *ttype = conf_path_attr(dev, "target", "type");
        g_autofree char *port = conf_path_attr(dev, "target", "port");
        g_autofree char *model = conf_path_attr(dev, "target/model", "name");

        if (g_strcmp0(type, "pty") != 0) {
            conf_fail(err, LITE_CONF_ERR_UNSUPPORTED,
                      "<%s type='%s'> is not supported: the serial port is a pty, use "
                      "<%s type='pty'>", el, type ? type : "", el);
            return -EINVAL;
        }
        if ((port && strcmp(port, "0") != 0) ||
            (ttype && strcmp(ttype, "serial") != 0 && strcmp(ttype, "isa-serial") != 0) ||
            (model && strcmp(model, "isa-serial") != 0)) {
            conf_fail(err, LITE_CONF_ERR_UNSUPPORTED,
                      "<%s> target type='%s' port='%s' is not supported: lite VMs have one "
                      "16550 serial port, use <target type='serial' port='0'/>", el,
                      ttype ? ttype : "", port ? port : "");
            return -EINVAL;
        }
        l->console = LITE_CONSOLE_PTY;
    }
    if (balloon && strcmp(balloon, "none") != 0) {
        conf_fail(err, LITE_CONF_ERR_UNSUPPORTED,
                  "<memballoon model='%s'> is not supported: there is no memory balloon, use "
                  "<memballoon model='none'/> (virt-install --memballoon none)", balloon);
        return -EINVAL;
    }
    return 0;
}

static int
vm_translate(xmlNode *root, const lite_conf_ctx *ctx, lite_launch *l, GError **err)
{
    if (vm_vcpus(root, l, err) < 0 ||
        vm_os(root, l, err) < 0 ||
        vm_cpu_and_pm(root, err) < 0 ||
        vm_console(root, l, err) < 0)
        return -EINVAL;
    return 0;
}

const conf_kind conf_kind_vm = {
    .what = N_("a lite VM"),
    .allow = vm_allow,
    .hints = vm_hints,
    .translate = vm_translate,
};
