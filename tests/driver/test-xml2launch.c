/* test-xml2launch.c: golden test of define's pipeline: each data/<case>.xml goes through
 * libvirt's parser with the driver's XML options and then src/conf, and must give exactly
 * data/<case>.launch (the launch config) or data/<case>.err (the libvirt error).
 * VIRT_LITE_REGENERATE=1 rewrites the expected files from what the code does now.
 * With --examples DIR every DIR/<name>.xml must translate (the shipped xml-examples/). */
#include <config.h>

#include <stdio.h>

#include "lite_conf.h"
#include "lite_domain.h"
#include "lite_driver.h"

#include "virerror.h"
#include "virfile.h"

static const struct {
    int code;
    const char *name;
} error_names[] = {
    { VIR_ERR_XML_ERROR, "VIR_ERR_XML_ERROR" },
    { VIR_ERR_XML_DETAIL, "VIR_ERR_XML_DETAIL" },
    { VIR_ERR_CONFIG_UNSUPPORTED, "VIR_ERR_CONFIG_UNSUPPORTED" },
    { VIR_ERR_INVALID_ARG, "VIR_ERR_INVALID_ARG" },
    { VIR_ERR_INTERNAL_ERROR, "VIR_ERR_INTERNAL_ERROR" },
    { VIR_ERR_OPERATION_INVALID, "VIR_ERR_OPERATION_INVALID" },
    { VIR_ERR_NO_SUPPORT, "VIR_ERR_NO_SUPPORT" },
};

static char *
error_text(void)
{
    virErrorPtr err = virGetLastError();
    const char *name = "VIR_ERR_?";

    if (!err)
        return g_strdup("error without a libvirt error set\n");
    for (size_t i = 0; i < G_N_ELEMENTS(error_names); i++) {
        if (error_names[i].code == err->code)
            name = error_names[i].name;
    }
    return g_strdup_printf("%s: %s\n", name, err->message);
}

/* Stands in for libvirt's network driver: network NAME has bridge br-NAME. */
static char *
fake_network_bridge(const char *network, void *opaque, GError **err)
{
    if (strcmp(network, "missing") == 0) {
        g_set_error(err, LITE_CONF_ERROR, LITE_CONF_ERR_INVALID,
                    "network '%s' does not exist", network);
        return NULL;
    }
    return g_strdup_printf("br-%s", network);
}

/* What start would do with @xml: the launch config text, or the error. */
static char *
translate(liteDriver *driver, const char *xml, bool *is_error)
{
    g_autoptr(virDomainDef) def = NULL;
    g_autoptr(lite_launch) launch = NULL;

    virResetLastError();
    *is_error = true;
    if (!(def = virDomainDefParseString(xml, driver->xmlopt, NULL,
                                        VIR_DOMAIN_DEF_PARSE_INACTIVE)))
        return error_text();
    lite_conf_ctx ctx = { .run_dir = "/run/libvirt/lite", .network = fake_network_bridge };

    if (!(launch = liteDomainTranslate(driver, def, &ctx)))
        return error_text();
    *is_error = false;
    return lite_launch_format(launch);
}

static int
check_example(liteDriver *driver, const char *dir, const char *name)
{
    g_autofree char *xml_path = g_strdup_printf("%s/%s.xml", dir, name);
    g_autofree char *xml = NULL;
    g_autofree char *got = NULL;
    bool is_error;

    if (!g_file_get_contents(xml_path, &xml, NULL, NULL)) {
        fprintf(stderr, "cannot read %s\n", xml_path);
        return -1;
    }
    got = translate(driver, xml, &is_error);
    if (is_error) {
        fprintf(stderr, "FAIL %s: the example does not translate: %s", name, got);
        return -1;
    }
    printf("ok %s\n", name);
    return 0;
}

static int
check_case(liteDriver *driver, const char *dir, const char *name, bool regenerate)
{
    g_autofree char *xml_path = g_strdup_printf("%s/%s.xml", dir, name);
    g_autofree char *launch_path = g_strdup_printf("%s/%s.launch", dir, name);
    g_autofree char *err_path = g_strdup_printf("%s/%s.err", dir, name);
    g_autofree char *xml = NULL;
    g_autofree char *got = NULL;
    g_autofree char *want = NULL;
    const char *want_path;
    bool is_error;

    if (!g_file_get_contents(xml_path, &xml, NULL, NULL)) {
        fprintf(stderr, "cannot read %s\n", xml_path);
        return -1;
    }
    got = translate(driver, xml, &is_error);
    want_path = is_error ? err_path : launch_path;
    if (regenerate) {
        unlink(is_error ? launch_path : err_path);
        return g_file_set_contents(want_path, got, -1, NULL) ? 0 : -1;
    }
    if (!g_file_get_contents(want_path, &want, NULL, NULL)) {
        fprintf(stderr, "FAIL %s: no %s; it gave:\n%s", name, want_path, got);
        return -1;
    }
    if (strcmp(got, want) != 0) {
        fprintf(stderr, "FAIL %s: expected (%s):\n%s\ngot:\n%s", name, want_path, want, got);
        return -1;
    }
    printf("ok %s\n", name);
    return 0;
}

int
main(int argc, char **argv)
{
    bool examples = argc > 2 && strcmp(argv[1], "--examples") == 0;
    const char *dir = examples ? argv[2] : argc > 1 ? argv[1] : "data";
    bool regenerate = g_strcmp0(g_getenv("VIRT_LITE_REGENERATE"), "1") == 0;
    liteDriver driver = { .lockFD = -1 };
    g_autoptr(GDir) d = NULL;
    g_autoptr(GPtrArray) cases = g_ptr_array_new_with_free_func(g_free);
    int failed = 0;

    /* The golden files must not depend on where this build installs: fixed launcher paths. */
    g_setenv("VIRT_LITE_LAUNCHER_DIR", "/usr/libexec", TRUE);
    g_unsetenv("VIRT_LITE_ROOT");
    if (virInitialize() < 0 || virMutexInit(&driver.lock) < 0)
        return 1;
    driver.probe.vmOk = driver.probe.ctOk = true;
    driver.probe.vmMaxVcpus = 8;
    if (!(driver.config = liteDriverConfigNew()) ||
        !(driver.caps = liteBuildCapabilities(driver.config, &driver.probe)) ||
        !(driver.xmlopt = liteDomainXMLConfInit(&driver))) {
        fprintf(stderr, "driver setup failed: %s", error_text());
        return 1;
    }

    if (!(d = g_dir_open(dir, 0, NULL))) {
        fprintf(stderr, "cannot open %s\n", dir);
        return 1;
    }
    for (const char *f; (f = g_dir_read_name(d));) {
        if (g_str_has_suffix(f, ".xml"))
            g_ptr_array_add(cases, g_strndup(f, strlen(f) - 4));
    }
    g_ptr_array_sort(cases, (GCompareFunc)g_strcmp0);
    for (guint i = 0; i < cases->len; i++) {
        if ((examples ? check_example(&driver, dir, cases->pdata[i]) :
                        check_case(&driver, dir, cases->pdata[i], regenerate)) < 0)
            failed++;
    }
    if (cases->len == 0) {
        fprintf(stderr, "no cases in %s\n", dir);
        return 1;
    }
    printf("%u cases, %d failed%s\n", cases->len, failed, regenerate ? " (regenerated)" : "");
    return failed ? 1 : 0;
}
