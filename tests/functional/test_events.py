"""test_events.py: Defined and Undefined events reach `virsh event` and python-libvirt."""

import subprocess
import time

import lite_harness
from lite_harness import VM_XML, DaemonTestCase


class EventTest(DaemonTestCase):

    def test_virsh_event_shows_defined_and_undefined(self):
        # virsh exits by itself after --timeout seconds, flushing what it printed.
        proc = subprocess.Popen(["/usr/bin/virsh", "-c", self.daemon.uri, "event", "--all",
                                 "--loop", "--timeout", "4"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            # virsh prints nothing once registered; give it time to register.
            time.sleep(1.0)
            path = self.write("ev.xml", VM_XML.format(name="ltest-ev").replace(
                "<name>", "<uuid>5a1e0000-0000-4000-8000-0000000000e1</uuid><name>"))
            self.virsh("define", path)
            self.virsh("define", path)
            self.virsh("undefine", "ltest-ev")
            out, err = proc.communicate(timeout=15)
        finally:
            proc.kill()
        self.assertIn("event 'lifecycle' for domain 'ltest-ev': Defined Added", out)
        self.assertIn("event 'lifecycle' for domain 'ltest-ev': Defined Updated", out)
        self.assertIn("event 'lifecycle' for domain 'ltest-ev': Undefined Removed", out)

    def test_python_lifecycle_and_metadata_events(self):
        import libvirt
        conn = self.daemon.open()
        seen = []

        def lifecycle(conn_, dom, event, detail, opaque):
            seen.append((dom.name(), event, detail))

        def metadata(conn_, dom, mtype, nsuri, opaque):
            seen.append((dom.name(), "metadata", mtype))

        conn.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE, lifecycle,
                                    None)
        conn.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_METADATA_CHANGE,
                                    metadata, None)
        dom = conn.defineXML(VM_XML.format(name="ltest-pyev"))
        dom.setMetadata(libvirt.VIR_DOMAIN_METADATA_DESCRIPTION, "hello", None, None,
                        libvirt.VIR_DOMAIN_AFFECT_CONFIG)
        dom.undefine()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and len(seen) < 3:
            time.sleep(0.1)
        self.assertIn(("ltest-pyev", libvirt.VIR_DOMAIN_EVENT_DEFINED,
                       libvirt.VIR_DOMAIN_EVENT_DEFINED_ADDED), seen)
        self.assertIn(("ltest-pyev", "metadata", libvirt.VIR_DOMAIN_METADATA_DESCRIPTION),
                      seen)
        self.assertIn(("ltest-pyev", libvirt.VIR_DOMAIN_EVENT_UNDEFINED,
                       libvirt.VIR_DOMAIN_EVENT_UNDEFINED_REMOVED), seen)


if __name__ == "__main__":
    lite_harness.main()
