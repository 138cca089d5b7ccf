/* Many sockets' writes in a few system calls (src/http/sendbatch.c): every byte arrives, in
 * order, on its own socket; 600 writes take 3 submissions; a full socket reports what fitted;
 * a closed peer reports an error (no SIGPIPE); ODDZY_IO_URING=0 turns the batch off. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka needs the three above first */
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http/sendbatch.h"

#define PAIRS 600

static int listener(struct sockaddr_in *a)
{
    int l = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(l >= 0);
    *a = (struct sockaddr_in){.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof *a;
    assert_int_equal(bind(l, (struct sockaddr *)a, sizeof *a), 0);
    assert_int_equal(getsockname(l, (struct sockaddr *)a, &al), 0);
    assert_int_equal(listen(l, PAIRS), 0);
    return l;
}

/* A connected loopback TCP pair: out[0] the receiver, out[1] the (nonblocking) sender. */
static void tcp_pair(int l, const struct sockaddr_in *a, int out[2])
{
    out[0] = socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(connect(out[0], (const struct sockaddr *)a, sizeof *a), 0);
    out[1] = accept(l, NULL, NULL);
    assert_true(out[1] >= 0);
    fcntl(out[1], F_SETFL, O_NONBLOCK);
}

static odz_sendbatch *batch_or_skip(void)
{
    odz_sendbatch *b = odz_sendbatch_new();
    if (!b) {
        print_message("io_uring is not available here: nothing to test\n");
        skip();
    }
    return b;
}

static void every_byte_in_order_in_few_submissions(void **state)
{
    (void)state;
    odz_sendbatch *b = batch_or_skip();
    struct sockaddr_in a;
    int l = listener(&a);
    static int fds[PAIRS][2];
    static char head[PAIRS][32];
    static struct iovec iov[PAIRS][2];
    for (int i = 0; i < PAIRS; i++)
        tcp_pair(l, &a, fds[i]);
    for (int round = 0; round < 3; round++) {
        unsigned long submits = odz_sendbatch_submits(), writes = odz_sendbatch_writes();
        for (int i = 0; i < PAIRS; i++) {
            int n = snprintf(head[i], sizeof head[i], "r%d-c%d:", round, i);
            iov[i][0] = (struct iovec){head[i], (size_t)n};
            iov[i][1] = (struct iovec){"payload;", 8};
            assert_true(odz_sendbatch_add(b, fds[i][1], iov[i], 2));
        }
        assert_int_equal(odz_sendbatch_count(b), PAIRS);
        assert_int_equal(odz_sendbatch_flush(b), 0);
        assert_int_equal(odz_sendbatch_count(b), 0);
        /* 600 writes, 3 submissions of at most ODZ_SENDBATCH_RING */
        assert_int_equal(odz_sendbatch_writes() - writes, PAIRS);
        assert_int_equal(odz_sendbatch_submits() - submits,
                         (PAIRS + ODZ_SENDBATCH_RING - 1) / ODZ_SENDBATCH_RING);
        for (int i = 0; i < PAIRS; i++) {
            char want[64], got[64] = {0};
            int n = snprintf(want, sizeof want, "r%d-c%d:payload;", round, i);
            assert_int_equal(odz_sendbatch_result(b, (size_t)i), n);
            assert_int_equal(recv(fds[i][0], got, (size_t)n, MSG_WAITALL), n);
            assert_string_equal(got, want);
        }
    }
    assert_int_equal(odz_sendbatch_result(b, PAIRS), -EINVAL);
    for (int i = 0; i < PAIRS; i++) {
        close(fds[i][0]);
        close(fds[i][1]);
    }
    close(l);
    odz_sendbatch_free(b);
}

static void full_socket_and_closed_peer(void **state)
{
    (void)state;
    odz_sendbatch *b = batch_or_skip();
    struct sockaddr_in a;
    int l = listener(&a);
    int full[2], gone[2];
    tcp_pair(l, &a, full);
    tcp_pair(l, &a, gone);
    int small = 4096;
    setsockopt(full[1], SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
    setsockopt(full[0], SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    size_t big = 4 << 20;
    char *data = malloc(big);
    memset(data, 'x', big);
    struct iovec iov_full = {data, big};
    close(gone[0]); /* the peer is gone: first write resets, the next fails */
    struct iovec iov_gone = {"to nobody", 9};
    for (int i = 0; i < 2; i++)
        (void)send(gone[1], "x", 1, MSG_NOSIGNAL);
    usleep(50000);
    assert_true(odz_sendbatch_add(b, full[1], &iov_full, 1));
    assert_true(odz_sendbatch_add(b, gone[1], &iov_gone, 1));
    assert_int_equal(odz_sendbatch_flush(b), 0);
    ssize_t r = odz_sendbatch_result(b, 0);
    assert_true(r > 0 && (size_t)r < big); /* what fitted: the caller writes the rest later */
    assert_true(odz_sendbatch_result(b, 1) < 0);
    assert_int_not_equal(odz_sendbatch_result(b, 1), -EAGAIN);
    /* the peer does not read: soon nothing fits, and the write says -EAGAIN */
    ssize_t more;
    int tries = 0;
    do {
        assert_true(odz_sendbatch_add(b, full[1], &iov_full, 1));
        assert_int_equal(odz_sendbatch_flush(b), 0);
        more = odz_sendbatch_result(b, 0);
    } while (more > 0 && ++tries < 10000);
    assert_int_equal(more, -EAGAIN);
    /* refused outright: no iovecs, too many, a bad descriptor */
    assert_false(odz_sendbatch_add(b, full[1], &iov_full, 0));
    assert_false(odz_sendbatch_add(b, full[1], &iov_full, 100000));
    assert_false(odz_sendbatch_add(b, -1, &iov_full, 1));
    assert_int_equal(odz_sendbatch_count(b), 0);
    free(data);
    close(full[0]);
    close(full[1]);
    close(gone[1]);
    close(l);
    odz_sendbatch_free(b);
}

/* io_uring_enter failing: nothing of the batch was sent, every write says so (-ECANCELED),
 * and the flush reports the error so that the caller writes on its own from then on. */
static void a_failed_submission_sends_nothing(void **state)
{
    (void)state;
    odz_sendbatch *b = batch_or_skip();
    struct sockaddr_in a;
    int l = listener(&a);
    static int fds[300][2];
    struct iovec iov = {"never", 5};
    for (int i = 0; i < 300; i++) {
        tcp_pair(l, &a, fds[i]);
        assert_true(odz_sendbatch_add(b, fds[i][1], &iov, 1));
    }
    unsigned long writes = odz_sendbatch_writes();
    odz_sendbatch__fail_next_submit(-EBUSY);
    assert_int_equal(odz_sendbatch_flush(b), -EBUSY);
    assert_int_equal(odz_sendbatch_writes(), writes);
    for (int i = 0; i < 300; i++) {
        assert_int_equal(odz_sendbatch_result(b, (size_t)i), -ECANCELED);
        char c;
        assert_int_equal(recv(fds[i][0], &c, 1, MSG_DONTWAIT), -1); /* nothing arrived */
        assert_int_equal(errno, EAGAIN);
        close(fds[i][0]);
        close(fds[i][1]);
    }
    close(l);
    odz_sendbatch_free(b);
}

static void turned_off_by_the_environment(void **state)
{
    (void)state;
    setenv("ODDZY_IO_URING", "0", 1);
    assert_null(odz_sendbatch_new());
    unsetenv("ODDZY_IO_URING");
    odz_sendbatch_free(NULL);
}

int main(void)
{
    struct rlimit rl; /* 1,200 sockets: raise the soft limit to the hard one */
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_byte_in_order_in_few_submissions),
        cmocka_unit_test(full_socket_and_closed_peer),
        cmocka_unit_test(a_failed_submission_sends_nothing),
        cmocka_unit_test(turned_off_by_the_environment),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
