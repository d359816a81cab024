#!/usr/bin/env python3
"""test-ct-idmap.py: a container in a user namespace: its root is an unprivileged host uid
from root's /etc/subuid range, files shifted into that range are its own, host root's files
are out of reach."""
import fcntl
import os
import shutil
import tempfile
from contextlib import contextmanager

import nstest
from nstest import Container

BASE = 1879048192          # 0x70000000: far from any range a distribution hands out
COUNT = 65536
LINE = "root:%d:%d\n" % (BASE, COUNT)


@contextmanager
def subid_range():
    """Gives root the test range in /etc/subuid and /etc/subgid for the test's duration."""
    added = []
    for path in ("/etc/subuid", "/etc/subgid"):
        with open(path, "a+") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            f.seek(0)
            if LINE not in f.read():
                f.write(LINE)
                added.append(path)
    try:
        yield
    finally:
        for path in added:
            with open(path, "r+") as f:
                fcntl.flock(f, fcntl.LOCK_EX)
                text = f.read().replace(LINE, "", 1)
                f.seek(0)
                f.truncate()
                f.write(text)


def shifted_copy(src):
    """The rootfs copied and chowned into the container's id range."""
    dst = tempfile.mkdtemp(prefix="ltest-ns-idmap-")
    os.chmod(dst, 0o755)
    root = os.path.join(dst, "rootfs")
    nstest.sh("cp -a %s %s" % (src, root))
    os.lchown(root, BASE, BASE)
    for d, dirs, files in os.walk(root):
        for n in [os.path.join(d, x) for x in dirs + files]:
            st = os.lstat(n)
            os.lchown(n, BASE + st.st_uid, BASE + st.st_gid)
    return dst, root


def test_container_root_is_an_unprivileged_host_uid():
    with subid_range():
        top, root = shifted_copy(nstest.busybox_rootfs())
        secret = tempfile.mkdtemp(prefix="ltest-ns-secret-")
        os.chmod(secret, 0o700)
        with open(os.path.join(secret, "key"), "w") as f:
            f.write("host root only\n")
        os.chmod(os.path.join(secret, "key"), 0o600)
        m = "0 %d %d" % (BASE, COUNT)
        ct = Container("ltest-idm1", root, idmap=([m], [m]), memory_kib=65536, root_readonly=False,
                       mounts=[(secret, "/secret", False)])
        try:
            ct.start()
            ct.console.read_until(r"LITE-CT-READY[^\n]*\n")
            init = int(ct.status["init-pid"])
            with open("/proc/%d/status" % init) as f:
                uids = [l for l in f if l.startswith("Uid:")][0].split()[1:]
            assert uids == [str(BASE)] * 4, uids
            rc, out = ct.console.run("id -u; cat /proc/self/uid_map /proc/self/gid_map")
            assert out.split()[:4] == ["0", "0", str(BASE), str(COUNT)], out
            # Its own files: writable as its root, owned by the shifted ids on the host.
            rc, out = ct.console.run("echo hi > /root/own && ls -ln /root/own")
            assert rc == 0, out
            st = os.stat(os.path.join(root, "root", "own"))
            assert (st.st_uid, st.st_gid) == (BASE, BASE), st
            # Host root's files: unmapped (nobody), and closed to the container's root.
            rc, out = ct.console.run("ls -ln /secret; cat /secret/key 2>&1; "
                                     "touch /secret/new 2>&1")
            assert "Permission denied" in out and "host root only" not in out, out
            assert not os.path.exists(os.path.join(secret, "new"))
            rc, out = ct.console.run("stat -c %u /secret")
            assert out.strip() == "65534", out
            # Still a working system container: its own mounts, hostname, console.
            rc, out = ct.console.run("hostname; grep -c . /proc/mounts")
            assert out.split()[0] == "ltest-idm1", out
            ct.shutdown()
        finally:
            ct.cleanup()
            shutil.rmtree(top, ignore_errors=True)
            shutil.rmtree(secret, ignore_errors=True)


def test_systemd_boots_in_a_user_namespace():
    """Debian's systemd as PID 1 with root mapped to an unprivileged range: the cgroup2
    directory handed to the container's root is where it builds its tree."""
    with subid_range():
        top, root = shifted_copy(nstest.build_rootfs("debian"))
        m = "0 %d %d" % (BASE, COUNT)
        ct = Container("ltest-idm2", root, idmap=([m], [m]), root_readonly=False,
                       memory_kib=1048576)
        try:
            ct.start()
            nstest.login(ct.console)
            rc, out = nstest.shell(ct.console, "systemctl is-system-running --wait")
            assert out.strip().endswith("running"), out
            rc, out = nstest.shell(ct.console, "systemctl --failed --no-legend --plain")
            assert out.strip() == "", "failed units: %s" % out
            rc, out = nstest.shell(ct.console, "cat /proc/self/uid_map")
            assert out.split() == ["0", str(BASE), str(COUNT)], out
            ct.shutdown(timeout=30)
        finally:
            ct.cleanup()
            shutil.rmtree(top, ignore_errors=True)


if __name__ == "__main__":
    nstest.main(globals(), timeout=300)
