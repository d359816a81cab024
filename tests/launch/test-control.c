/* test-control.c: control messages survive any value, and malformed lines are refused. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "control.h"
#include "fd.h"

static void
test_round_trip_any_value(void)
{
    g_autoptr(lite_msg) m = lite_msg_new("ok");
    g_autoptr(lite_msg) back = NULL;
    g_autofree char *line = NULL;
    const char *weird = "a b=c\\d\n\te\x01\xc3\xa9";

    lite_msg_set(m, "console", "/dev/pts/3");
    lite_msg_set(m, "message", weird);
    lite_msg_set(m, "empty", "");
    lite_msg_set_u64(m, "cpu-time-ns", G_MAXUINT64);
    line = lite_msg_format(m);
    g_assert_true(g_str_has_suffix(line, "\n"));
    g_assert_null(strchr(line, '\n') == line + strlen(line) - 1 ? NULL : "inner newline");
    g_assert_cmpint(lite_msg_parse(line, strlen(line) - 1, &back), ==, 0);
    g_assert_cmpstr(lite_msg_verb(back), ==, "ok");
    g_assert_cmpstr(lite_msg_get(back, "message"), ==, weird);
    g_assert_cmpstr(lite_msg_get(back, "empty"), ==, "");
    g_assert_cmpuint(lite_msg_count(back), ==, 4);
    {
        uint64_t v;
        g_assert_cmpint(lite_msg_get_u64(back, "cpu-time-ns", &v), ==, 0);
        g_assert_cmpuint(v, ==, G_MAXUINT64);
        g_assert_cmpint(lite_msg_get_u64(back, "console", &v), ==, -EINVAL);
        g_assert_cmpint(lite_msg_get_u64(back, "absent", &v), ==, -ENOENT);
    }
}

static void
test_refuses_malformed(void)
{
    const char *bad[] = {
        "", " ok", "OK", "ok  a=1", "ok a", "ok =1", "ok a=1 a=2", "ok a=\\x4", "ok a=\\q41",
        "ok a=\\x00", "ok a=b=c", "ok A=1", "ok a=\x01", "ok a=1 ",
    };

    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        lite_msg *m = NULL;

        if (lite_msg_parse(bad[i], strlen(bad[i]), &m) != -EINVAL)
            g_error("accepted malformed line '%s'", bad[i]);
        g_assert_null(m);
    }
}

static void
test_linebuf_splits_and_bounds(void)
{
    g_autofree lite_linebuf *lb = g_new0(lite_linebuf, 1);
    int sv[2];
    lite_msg *m = NULL;
    g_autofree char *big = g_malloc(LITE_MSG_MAX);

    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), ==, 0);
    g_assert_cmpint(lite_write_full(sv[1], "event state=paused\nok", 21), ==, 0);
    g_assert_cmpint(lite_linebuf_fill(lb, sv[0]), ==, 21);
    g_assert_cmpint(lite_linebuf_next(lb, &m), ==, 1);
    g_assert_cmpstr(lite_msg_get(m, "state"), ==, "paused");
    lite_msg_free(m);
    m = NULL;
    g_assert_cmpint(lite_linebuf_next(lb, &m), ==, 0);
    g_assert_cmpint(lite_write_full(sv[1], "\n", 1), ==, 0);
    g_assert_cmpint(lite_linebuf_fill(lb, sv[0]), ==, 1);
    g_assert_cmpint(lite_linebuf_next(lb, &m), ==, 1);
    g_assert_true(lite_msg_is_ok(m));
    lite_msg_free(m);

    /* A line that never ends must not grow the buffer past LITE_MSG_MAX. */
    memset(big, 'a', LITE_MSG_MAX);
    lb->len = 0;
    g_assert_cmpint(lite_write_full(sv[1], big, LITE_MSG_MAX), ==, 0);
    while (lb->len < LITE_MSG_MAX)
        g_assert_cmpint(lite_linebuf_fill(lb, sv[0]), >, 0);
    g_assert_cmpint(lite_linebuf_fill(lb, sv[0]), ==, -EMSGSIZE);
    g_assert_cmpint(lite_linebuf_next(lb, &m), ==, -EINVAL);
    close(sv[0]);
    close(sv[1]);
}

static void
test_recv_timeout_and_eof(void)
{
    int sv[2];
    lite_msg *m = NULL;

    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), ==, 0);
    g_assert_cmpint(lite_msg_recv(sv[0], &m, 20), ==, -ETIMEDOUT);
    close(sv[1]);
    g_assert_cmpint(lite_msg_recv(sv[0], &m, 20), ==, -EPIPE);
    close(sv[0]);
}

static void
test_error_reply(void)
{
    g_autoptr(lite_msg) e = lite_msg_error(LITE_ECODE_INVALID, -EBUSY, "domain is %s", "paused");

    g_assert_false(lite_msg_is_ok(e));
    g_assert_cmpstr(lite_msg_get(e, "code"), ==, "operation-invalid");
    g_assert_cmpstr(lite_msg_get(e, "errno"), ==, "16");
    g_assert_cmpstr(lite_msg_get(e, "message"), ==, "domain is paused");
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/control/round-trip-any-value", test_round_trip_any_value);
    g_test_add_func("/control/refuses-malformed", test_refuses_malformed);
    g_test_add_func("/control/linebuf-splits-and-bounds", test_linebuf_splits_and_bounds);
    g_test_add_func("/control/recv-timeout-and-eof", test_recv_timeout_and_eof);
    g_test_add_func("/control/error-reply", test_error_reply);
    return g_test_run();
}
