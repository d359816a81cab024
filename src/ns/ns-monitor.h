/* ns-monitor.h: lite-ns-monitor's loop (ns-sup.h has the picture). */
#pragma once

#include "ns-sup.h"

/* Serves @s until it is done (0), or until PID 1 ends and lite-ns --reap has taken over
 * (does not return), or a failure (-errno). */
int ns_monitor_run(ns_sup *s);
