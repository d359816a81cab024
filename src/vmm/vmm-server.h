/* vmm-server.h: the launcher's control socket: clients, requests, watchers and events. */
#pragma once

#include <poll.h>
#include <stdbool.h>

#include <glib.h>

#include "control.h"

typedef struct vmm_server vmm_server;

/* Answers one request. *@watch set to true makes the connection a watcher (events). */
typedef lite_msg *(*vmm_server_handler)(void *opaque, const lite_msg *req, bool *watch);

/* Listens on @path: 0, or -errno (logged). */
int vmm_server_new(const char *path, vmm_server_handler handler, void *opaque,
                   vmm_server **out);
/* Closes every connection and removes the socket file. */
void vmm_server_free(vmm_server *s);
/* Appends the fds to poll; returns how many. */
unsigned vmm_server_add_pollfds(vmm_server *s, GArray *pfds);
/* Handles readiness of the fds added from index @first. */
void vmm_server_dispatch(vmm_server *s, const struct pollfd *pfds, unsigned count);
/* Sends @event to every watcher; a watcher that cannot take it now is dropped. */
void vmm_server_broadcast(vmm_server *s, const lite_msg *event);
/* Whether any client has subscribed to events so far. */
bool vmm_server_ever_watched(const vmm_server *s);

#define VMM_SERVER_MAX_CLIENTS 32
