#!/bin/bash
# patch-dispatch.sh: makes libvirt's per-driver daemon dispatcher accept the LITE driver.
# Usage: patch-dispatch.sh remote_daemon_dispatch.c OUTPUT
#
# Two insertions into the build-time copy (the libvirt source tree is never modified):
#  1. remoteDispatchConnectOpen only sets up secondary drivers (storage, network, ...) for a
#     whitelist of hypervisor types and refuses all others with "Unexpected driver type";
#     LITE joins the list.
#  2. Inside a per-driver daemon those secondary connections go to virtstoraged-sock,
#     virtnetworkd-sock, ..., which Debian 12 does not ship; for LITE they name libvirtd's
#     socket instead, so pool-list and net-list show the host's pools and networks. (The
#     remote driver refuses any mode but "direct" inside a daemon; an explicit socket is
#     allowed.)
# Fails when an anchor is missing or ambiguous: a libvirt whose dispatcher changed must be
# looked at, not patched blindly.
set -euo pipefail
in=$1 out=$2

awk '
  /^[[:space:]]*STREQ\(type, "CH"\)\) \{$/ {
    whitelist++
    print "        STREQ(type, \"LITE\") ||"
  }
  { print }
  /^[[:space:]]*priv->storageURI = "storage:\/\/\/system";$/ {
    secondary++
    print "            if (STREQ(type, \"LITE\")) {"
    print "                priv->interfaceURI = \"interface:///system?socket=\" RUNSTATEDIR \"/libvirt/libvirt-sock\";"
    print "                priv->networkURI = \"network:///system?socket=\" RUNSTATEDIR \"/libvirt/libvirt-sock\";"
    print "                priv->nodedevURI = \"nodedev:///system?socket=\" RUNSTATEDIR \"/libvirt/libvirt-sock\";"
    print "                priv->nwfilterURI = \"nwfilter:///system?socket=\" RUNSTATEDIR \"/libvirt/libvirt-sock\";"
    print "                priv->secretURI = \"secret:///system?socket=\" RUNSTATEDIR \"/libvirt/libvirt-sock\";"
    print "                priv->storageURI = \"storage:///system?socket=\" RUNSTATEDIR \"/libvirt/libvirt-sock\";"
    print "            }"
  }
  END {
    if (whitelist != 1 || secondary != 1) {
      printf "patch-dispatch.sh: expected one driver-type whitelist and one secondary URI block, found %d and %d\n", whitelist, secondary > "/dev/stderr"
      exit 1
    }
  }
' "$in" > "$out.tmp"
mv "$out.tmp" "$out"
