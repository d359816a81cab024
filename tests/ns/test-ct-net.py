#!/usr/bin/env python3
"""test-ct-net.py: veth networking: two containers on a test bridge ping each other and the
host, names/MACs/bridge as configured, counters in query, host ends gone on stop.

Addresses are link-local (169.254.231.0/24) on a bridge this test creates: the traffic never
leaves this machine."""
import os
import shutil
import socket
import time

import nstest
from nstest import Container

BR = "ltest-nsbr0"


def link_exists(name):
    return os.path.exists("/sys/class/net/%s" % name)


def with_bridge(fn):
    def wrapper():
        nstest.sh("ip link del %s 2>/dev/null || true" % BR, check=False)
        nstest.sh("ip link add %s type bridge && ip addr add 169.254.231.1/24 dev %s && "
                  "ip link set %s up" % (BR, BR, BR))
        try:
            fn()
        finally:
            nstest.sh("ip link del %s" % BR, check=False)
    wrapper.__name__ = fn.__name__
    return wrapper


def start(name, net):
    return nstest.boot_busybox(name, nets=[net])


@with_bridge
def test_two_containers_ping_each_other_and_the_host():
    a = start("ltest-net1", {"type": "bridge", "bridge": BR, "host-ifname": "ltest-nsv1",
                             "guest-ifname": "eth0", "mac": "52:54:00:aa:00:01"})
    b = None
    try:
        # No host name given: lite-ns picks a free vnetN and reports it.
        b = start("ltest-net2", {"type": "bridge", "bridge": BR, "guest-ifname": "eth0",
                                 "mac": "52:54:00:aa:00:02"})
        vnet = b.status["net-0-name"]
        assert vnet.startswith("vnet") and link_exists(vnet), b.status
        assert a.status["net-0-name"] == "ltest-nsv1"
        for ct, host, ip, mac in ((a, "ltest-nsv1", "169.254.231.2", "52:54:00:aa:00:01"),
                                  (b, vnet, "169.254.231.3", "52:54:00:aa:00:02")):
            assert os.path.basename(os.readlink("/sys/class/net/%s/master" % host)) == BR
            with open("/sys/class/net/%s/flags" % host) as f:
                assert int(f.read(), 16) & 1, "%s is not up" % host
            rc, out = ct.console.run("ip addr add %s/24 dev eth0 && ip link set eth0 up && "
                                     "cat /sys/class/net/eth0/address" % ip)
            assert rc == 0 and out.strip() == mac, out
        rc, out = a.console.run("ping -c 2 -W 3 169.254.231.3", timeout=15)
        assert rc == 0, out
        rc, out = b.console.run("ping -c 2 -W 3 169.254.231.1", timeout=15)
        assert rc == 0, out
        # iputils' ping, or the static busybox of the test image when the host has none.
        ping = "ping" if shutil.which("ping") else nstest.busybox_rootfs() + "/bin/busybox ping"
        nstest.sh("%s -c 2 -W 3 169.254.231.2" % ping, timeout=15)
        # Traffic one way only: datagrams from the host into container a (to a closed port).
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for _ in range(20):
            s.sendto(b"x" * 1000, ("169.254.231.2", 9))
        s.close()
        time.sleep(0.2)
        rc, out = a.console.run("cat /sys/class/net/eth0/statistics/rx_bytes "
                                "/sys/class/net/eth0/statistics/tx_bytes")
        inside_rx, inside_tx = map(int, out.split())
        q = a.call("query")
        assert q["net-0-name"] == "ltest-nsv1" and int(q["net-0-rx-packets"]) > 0, q
        # The guest's view, as virsh domifstat shows it: rx is what the container received.
        rx, tx = int(q["net-0-rx-bytes"]), int(q["net-0-tx-bytes"])
        assert rx > tx + 10000, (rx, tx)
        assert abs(rx - inside_rx) < 2000 and abs(tx - inside_tx) < 2000, \
            (rx, tx, inside_rx, inside_tx)
        # The host ends go with the containers.
        for ct, host in ((a, "ltest-nsv1"), (b, vnet)):
            assert ct.call("destroy")["verb"] == "ok"
            ct.wait_exit(5)
            assert not link_exists(host), host
    finally:
        a.cleanup()
        if b:
            b.cleanup()


@with_bridge
def test_ethernet_type_and_shutdown_from_inside_remove_the_host_end():
    ct = start("ltest-net3", {"type": "ethernet", "host-ifname": "ltest-nsv3",
                              "guest-ifname": "net0"})
    try:
        assert link_exists("ltest-nsv3")
        assert not os.path.exists("/sys/class/net/ltest-nsv3/master")
        rc, out = ct.console.run("ls /sys/class/net")
        assert sorted(out.split()) == ["lo", "net0"], out
        w = ct.watch()
        ct.console.send("poweroff")
        w.expect("shutoff", "shutdown")
        ct.wait_exit(5)
        assert not link_exists("ltest-nsv3")
    finally:
        ct.cleanup()


@with_bridge
def test_reboot_recreates_the_veth():
    ct = start("ltest-net4", {"type": "bridge", "bridge": BR, "host-ifname": "ltest-nsv4"})
    try:
        w = ct.watch()
        ct.console.send("reboot")
        w.expect("running", "rebooted")
        ct.console.read_until(r"LITE-CT-READY[^\n]*\n")
        assert link_exists("ltest-nsv4")
        rc, out = ct.console.run("ls /sys/class/net")
        assert sorted(out.split()) == ["eth0", "lo"], out
    finally:
        ct.cleanup()
    assert not link_exists("ltest-nsv4")


if __name__ == "__main__":
    nstest.main(globals(), timeout=90)
