"""benchlib.py: what bench/vm-start and bench/vm-mem share: finding the binaries, launch
configs, building the KVM floor, statistics. Benchmarks, not tests: they print numbers."""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def paths(build):
    p = {
        "vmm": os.path.join(build, "src", "vmm", "lite-vmm"),
        "pvh": os.path.join(build, "tests", "vmm", "guest-pvh"),
        "cpl3": os.path.join(build, "tests", "vmm", "guest-cpl3"),
    }
    for k, v in p.items():
        if not os.path.exists(v):
            sys.exit(f"{v} is missing: build first (ninja -C {build})")
    return p


def build_floor(tmp):
    out = os.path.join(tmp, "kvm-floor")
    subprocess.run(["cc", "-O2", "-o", out, os.path.join(HERE, "kvm-floor.c")], check=True)
    return out


def qemu():
    return shutil.which("qemu-system-x86_64")


def qemu_cmd(guest, exit_on_poweroff=True, mem_mib=64):
    cmd = [qemu(), "-M", "microvm", "-accel", "kvm", "-m", str(mem_mib), "-nodefaults",
           "-no-user-config", "-display", "none", "-monitor", "none", "-serial", "stdio",
           "-kernel", guest, "-no-reboot"]
    if exit_on_poweroff:
        # The guest powers off by writing to 0x604 (ACPI PM1 control on lite-vmm); on
        # microvm, an isa-debug-exit device at the same port ends QEMU.
        cmd += ["-device", "isa-debug-exit,iobase=0x604,iosize=2"]
    return cmd


def write_config(tmp, name, kernel, mem_kib=65536, on_poweroff="destroy", console="none",
                 cmdline=None):
    path = os.path.join(tmp, name + ".conf")
    with open(path, "w") as f:
        f.write("[domain]\nformat=1\nkind=vm\nname=%s\n"
                "uuid=c7a5fdbd-edaf-9455-926a-d65c16db1809\ncontrol=%s\nmemory-kib=%d\n"
                "vcpus=1\non-poweroff=%s\non-reboot=restart\non-crash=destroy\n"
                "console=%s\n\n[boot]\nkernel=%s\n"
                % (name, os.path.join(tmp, name + ".ctl"), mem_kib, on_poweroff, console,
                   kernel))
        if cmdline:
            f.write("cmdline=%s\n" % cmdline)
    return path


def stats(values):
    return min(values), statistics.median(values), max(values)


def tmpdir():
    return tempfile.mkdtemp(prefix="lite-bench-")


def check_host():
    if os.geteuid() != 0 or not os.access("/dev/kvm", os.R_OK | os.W_OK):
        sys.exit("needs root and /dev/kvm")
