/* lite_i18n.h: the driver's messages come from virt-lite's catalog, not libvirt's.
 * Include it after libvirt's headers: it replaces internal.h's _() for this file only. */
#pragma once

#include <libintl.h>

#include "lite-config.h"

#undef _
#define _(str) dgettext(LITE_GETTEXT_PACKAGE, str)

/* Binds the catalog once, before the first message is translated. */
void liteI18nInit(void);
