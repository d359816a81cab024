#!/bin/bash
# virtlited-service.sh: starts, stops or restarts the installed virtlited: through systemd
# where systemd runs, otherwise as a plain daemon (machines without systemd, CI).
# Running VMs and containers are not touched: their launchers outlive the daemon.
set -euo pipefail

pidfile=/run/virtlited.pid

stop_plain() {
  local pid
  pid=$(cat "$pidfile" 2>/dev/null) || return 0
  kill -0 "$pid" 2>/dev/null || { rm -f "$pidfile"; return 0; }
  kill -TERM "$pid"
  # A second daemon would fail on the pid file while the old binary kept answering.
  for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  echo "virtlited ($pid) did not stop within 10 s" >&2
  exit 1
}

start_plain() {
  # Without journald, virtlited -d logs here and exits at once if the directory is missing.
  mkdir -p /var/log/libvirt
  /usr/sbin/virtlited -d
  for _ in $(seq 100); do
    [ -S /run/libvirt/virtlited-sock ] && virsh -c lite:///system uri >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "virtlited did not answer within 10 s; see /var/log/libvirt/virtlited.log" >&2
  exit 1
}

if [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  case ${1:-restart} in
    start) systemctl enable --now virtlited.socket virtlited-ro.socket virtlited-admin.socket
           systemctl start virtlited.service ;;
    stop) systemctl stop virtlited.service ;;
    restart) systemctl enable --now virtlited.socket virtlited-ro.socket virtlited-admin.socket
             systemctl restart virtlited.service ;;
  esac
else
  case ${1:-restart} in
    start) start_plain ;;
    stop) stop_plain ;;
    restart) stop_plain; start_plain ;;
  esac
fi
