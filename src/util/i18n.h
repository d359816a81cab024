/* i18n.h: user-visible messages outside the driver use virt-lite's gettext domain. */
#pragma once

#include "lite-config.h"

#define GETTEXT_PACKAGE LITE_GETTEXT_PACKAGE
#include <glib/gi18n-lib.h>
