/* The bus contract on the NATS bus, plus NATS-only cases (correlation header on the wire, a
 * queue group across connections, server restart), against a nats-server this program starts
 * on 127.0.0.1 with a free port. */
#define BUS_REMOTE_QUEUES
#include "bus_cases.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <nats/nats.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#define NATS_SERVER_BIN "/usr/sbin/nats-server"

static pid_t server_pid = -1;
static int server_port;
static char server_url[64];
static char tmpdir[64];
static char conf_path[128];

/* ---- the server ---------------------------------------------------------------------- */

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &al) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    return ntohs(a.sin_port);
}

static int port_open(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

static void server_stop(void)
{
    if (server_pid <= 0)
        return;
    kill(server_pid, SIGKILL);
    while (waitpid(server_pid, NULL, 0) < 0 && errno == EINTR)
        ;
    server_pid = -1;
}

/* Start nats-server on server_port; 0 once it accepts connections. */
static int server_start(void)
{
    char port[16];
    snprintf(port, sizeof port, "%d", server_port);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive a crashed or killed test */
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0) {
            dup2(devnull, STDOUT_FILENO);
            dup2(devnull, STDERR_FILENO);
        }
        execl(NATS_SERVER_BIN, "nats-server", "-c", conf_path, "-a", "127.0.0.1", "-p", port,
              (char *)NULL);
        _exit(127);
    }
    server_pid = pid;
    for (int i = 0; i < 500; i++) {
        if (port_open(server_port))
            return 0;
        if (waitpid(pid, NULL, WNOHANG) == pid) {
            server_pid = -1;
            return -1;
        }
        usleep(10000);
    }
    server_stop();
    return -1;
}

static int group_setup(void **st)
{
    (void)st;
    if (access(NATS_SERVER_BIN, X_OK) != 0) {
        fprintf(stderr, "%s not found (apt-get install nats-server)\n", NATS_SERVER_BIN);
        return -1;
    }
    snprintf(tmpdir, sizeof tmpdir, "/tmp/oddzy-nats-XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    snprintf(conf_path, sizeof conf_path, "%s/nats.conf", tmpdir);
    FILE *f = fopen(conf_path, "w");
    if (!f)
        return -1;
    /* room for ODZ_BUS_MSG_MAX plus headers (the server's default is 1 MB) */
    fprintf(f, "max_payload: 8388608\n");
    fclose(f);
    server_port = free_port();
    if (server_port <= 0)
        return -1;
    snprintf(server_url, sizeof server_url, "nats://127.0.0.1:%d", server_port);
    return server_start();
}

static int group_teardown(void **st)
{
    (void)st;
    server_stop();
    unlink(conf_path);
    rmdir(tmpdir);
    return 0;
}

static odz_bus *open_bus(void)
{
    char err[ODZ_ERRLEN] = "";
    odz_bus *b = odz_bus_open(server_url, err, sizeof err);
    if (!b)
        fprintf(stderr, "open %s: %s\n", server_url, err);
    return b;
}

/* ---- NATS-only cases ------------------------------------------------------------------- */

static void open_errors(void **st)
{
    (void)st;
    char err[ODZ_ERRLEN] = "";
    int dead = free_port();
    char url[256];
    snprintf(url, sizeof url, "nats://127.0.0.1:%d", dead);
    assert_null(odz_bus_open(url, err, sizeof err));
    assert_non_null(strstr(err, "cannot connect"));
    err[0] = '\0';
    assert_null(odz_bus_open("nats://", err, sizeof err));
    assert_true(err[0] != '\0');
    assert_null(odz_bus_open("nats://127.0.0.1:1,http://x", err, sizeof err));
    /* a list: a dead server next to a live one still connects */
    snprintf(url, sizeof url, "nats://127.0.0.1:%d, %s", dead, server_url);
    odz_bus *b = odz_bus_open(url, err, sizeof err);
    assert_non_null(b);
    odz_bus_close(b);
}

/* The correlation id crosses the wire as the Oddzy-Corr header: seen by a plain nats.c client,
 * and read back from one. */
static void corr_id_in_header(void **st)
{
    odz_bus *b = *st;
    natsConnection *nc = NULL;
    natsSubscription *raw = NULL;
    assert_int_equal(natsConnection_ConnectTo(&nc, server_url), NATS_OK);
    assert_int_equal(natsConnection_SubscribeSync(&raw, nc, "corr.out"), NATS_OK);
    assert_int_equal(natsConnection_Flush(nc), NATS_OK);

    assert_int_equal(odz_bus_publish(b, "corr.out", "x", 1, "corr-abc-123"), 0);
    natsMsg *m = NULL;
    assert_int_equal(natsSubscription_NextMsg(&m, raw, 2000), NATS_OK);
    const char *v = NULL;
    assert_int_equal(natsMsgHeader_Get(m, "Oddzy-Corr", &v), NATS_OK);
    assert_string_equal(v, "corr-abc-123");
    assert_string_equal(natsMsg_GetData(m), "x");
    natsMsg_Destroy(m);
    /* no id: no header */
    assert_int_equal(odz_bus_publish(b, "corr.out", "y", 1, NULL), 0);
    assert_int_equal(natsSubscription_NextMsg(&m, raw, 2000), NATS_OK);
    assert_int_equal(natsMsgHeader_Get(m, "Oddzy-Corr", &v), NATS_NOT_FOUND);
    natsMsg_Destroy(m);
    /* a header value cannot carry line breaks */
    assert_int_equal(odz_bus_publish(b, "corr.out", "z", 1, "bad\r\nid"), ODZ_EINVAL);

    /* inbound: a foreign publisher's header becomes msg->corr_id */
    sink s = {0};
    assert_true(odz_bus_subscribe(b, "corr.in", NULL, 0, on_msg, &s) > 0);
    natsMsg *out = NULL;
    assert_int_equal(natsMsg_Create(&out, "corr.in", NULL, "hello", 5), NATS_OK);
    assert_int_equal(natsMsgHeader_Set(out, "Oddzy-Corr", "from-raw"), NATS_OK);
    assert_int_equal(natsConnection_PublishMsg(nc, out), NATS_OK);
    natsMsg_Destroy(out);
    natsConnection_Flush(nc);
    wait_count(&s, 1);
    assert_int_equal(atomic_load(&s.count), 1);
    assert_string_equal(s.last_corr, "from-raw");
    assert_string_equal(s.last_data, "hello");

    /* a raw request to a bus responder: odz_bus_respond answers with the header */
    assert_true(odz_bus_subscribe(b, "corr.echo", NULL, 0, echo, NULL) > 0);
    assert_int_equal(natsMsg_Create(&out, "corr.echo", NULL, "q", 1), NATS_OK);
    assert_int_equal(natsMsgHeader_Set(out, "Oddzy-Corr", "rq-7"), NATS_OK);
    natsMsg *rep = NULL;
    assert_int_equal(natsConnection_RequestMsg(&rep, nc, out, 2000), NATS_OK);
    natsMsg_Destroy(out);
    assert_string_equal(natsMsg_GetData(rep), "echo:q:rq-7");
    assert_int_equal(natsMsgHeader_Get(rep, "Oddzy-Corr", &v), NATS_OK);
    assert_string_equal(v, "rq-7");
    natsMsg_Destroy(rep);

    natsSubscription_Destroy(raw);
    natsConnection_Destroy(nc);
}

static void queue_group_across_connections(void **st)
{
    odz_bus *b = *st;
    odz_bus *w1 = open_bus(), *w2 = open_bus();
    assert_non_null(w1);
    assert_non_null(w2);
    sink g1 = {0}, g2 = {0};
    assert_true(odz_bus_subscribe(w1, "jobs.*", "workers", 0, on_msg, &g1) > 0);
    assert_true(odz_bus_subscribe(w2, "jobs.*", "workers", 0, on_msg, &g2) > 0);
    for (int i = 0; i < 200; i++)
        assert_int_equal(odz_bus_publish(b, "jobs.scrape", "j", 1, NULL), 0);
    for (int i = 0; i < 1000 && atomic_load(&g1.count) + atomic_load(&g2.count) < 200; i++)
        usleep(2000);
    usleep(20000);
    assert_int_equal(atomic_load(&g1.count) + atomic_load(&g2.count), 200);
    assert_true(atomic_load(&g1.count) > 0);
    assert_true(atomic_load(&g2.count) > 0);
    odz_bus_close(w1);
    odz_bus_close(w2);
}

static void echo_all(odz_bus *b, const odz_msg *m, void *ud)
{
    (void)ud;
    odz_bus_respond(b, m, m->data, m->len);
}

/* Messages up to ODZ_BUS_MSG_MAX cross both ways (the test server allows 8 MB payloads). */
static void large_payload(void **st)
{
    odz_bus *b = *st;
    assert_true(odz_bus_subscribe(b, "big.echo", NULL, 0, echo_all, NULL) > 0);
    size_t n = ODZ_BUS_MSG_MAX;
    char *big = malloc(n);
    assert_non_null(big);
    for (size_t i = 0; i < n; i++)
        big[i] = (char)('a' + i % 26);
    char *rep = NULL;
    size_t len = 0;
    assert_int_equal(odz_bus_request(b, "big.echo", big, n, 5000, "big", &rep, &len), 0);
    assert_int_equal(len, n);
    assert_memory_equal(rep, big, n);
    assert_int_equal(rep[n], '\0');
    free(rep);
    free(big);
}

typedef struct {
    odz_bus *b;
    atomic_int count;
} counter;

static void count_and_echo(odz_bus *b, const odz_msg *m, void *ud)
{
    counter *c = ud;
    atomic_fetch_add(&c->count, 1);
    odz_bus_respond(b, m, "pong", 4);
}

static void server_restart(void **st)
{
    odz_bus *b = *st;
    counter c = {b, 0};
    sink ev = {0};
    assert_true(odz_bus_subscribe(b, "svc.ping", "svc", 0, count_and_echo, &c) > 0);
    assert_true(odz_bus_subscribe(b, "race.*.updated", NULL, 0, on_msg, &ev) > 0);
    char *rep = NULL;
    assert_int_equal(odz_bus_request(b, "svc.ping", "", 0, 2000, NULL, &rep, NULL), 0);
    free(rep);

    server_stop();
    /* while down, a publish is buffered for the reconnect and a request times out */
    assert_int_equal(odz_bus_publish(b, "race.1.updated", "during", 6, NULL), 0);
    assert_int_equal(odz_bus_request(b, "svc.ping", "", 0, 100, NULL, &rep, NULL), ODZ_ETIMEOUT);
    assert_int_equal(server_start(), 0);

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int ok = 0;
    for (int i = 0; i < 50 && !ok; i++) { /* up to ~5 s */
        rep = NULL;
        ok = odz_bus_request(b, "svc.ping", "", 0, 100, NULL, &rep, NULL) == 0;
        if (ok)
            assert_string_equal(rep, "pong");
        free(rep);
        if (!ok)
            usleep(100000);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_true(ok);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    print_message("request answered %ld ms after the server came back\n", ms);
    assert_true(ms < 5000);
    /* the subscription came back too, and the buffered publish arrived */
    assert_int_equal(odz_bus_publish(b, "race.2.updated", "after", 5, NULL), 0);
    wait_count(&ev, 2);
    assert_true(atomic_load(&ev.count) >= 1);
    assert_string_equal(ev.last_data, "after");
    print_message("events after restart: %d (2 when the buffered one survived)\n",
                  atomic_load(&ev.count));
}

typedef struct {
    odz_bus *b;
    int64_t id;
    atomic_int entered, left, left_seen_at_return;
} slow_handler;

static void slow_one(odz_bus *b, const odz_msg *m, void *ud)
{
    (void)b;
    (void)m;
    slow_handler *h = ud;
    atomic_store(&h->entered, 1);
    usleep(200000);
    atomic_store(&h->left, 1);
}

static void *unsub_later(void *p)
{
    slow_handler *h = p;
    for (int i = 0; i < 2000 && !atomic_load(&h->entered); i++)
        usleep(1000);
    odz_bus_unsubscribe(h->b, h->id);
    atomic_store(&h->left_seen_at_return, atomic_load(&h->left));
    return NULL;
}

/* Unsubscribe from another thread while the handler runs: it returns after the handler. */
static void unsubscribe_waits_for_handler(void **st)
{
    odz_bus *b = *st;
    slow_handler h = {.b = b};
    h.id = odz_bus_subscribe(b, "slow.one", NULL, 0, slow_one, &h);
    assert_true(h.id > 0);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, unsub_later, &h), 0);
    assert_int_equal(odz_bus_publish(b, "slow.one", "1", 1, NULL), 0);
    pthread_join(t, NULL);
    assert_int_equal(atomic_load(&h.entered), 1);
    assert_int_equal(atomic_load(&h.left_seen_at_return), 1);
}

typedef struct {
    odz_bus *b;
    atomic_int started;
    int rc;
} req_arg;

static void *slow_request(void *p)
{
    req_arg *a = p;
    char *rep = NULL;
    atomic_store(&a->started, 1);
    a->rc = odz_bus_request(a->b, "svc.silent", "x", 1, 10000, NULL, &rep, NULL);
    free(rep);
    return NULL;
}

/* Close from another thread while a request waits: the requester leaves at once with
 * ODZ_ECLOSED and close returns without waiting for the request's timeout. */
static void close_with_request_in_flight(void **st)
{
    (void)st;
    odz_bus *b = open_bus();
    assert_non_null(b);
    sink silent = {0};
    assert_true(odz_bus_subscribe(b, "svc.silent", NULL, 0, on_msg, &silent) > 0);
    req_arg a = {.b = b, .rc = 1};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, slow_request, &a), 0);
    wait_count(&silent, 1);
    assert_int_equal(atomic_load(&silent.count), 1);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    odz_bus_close(b);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    pthread_join(t, NULL);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    assert_true(ms < 3000);
    assert_int_equal(a.rc, ODZ_ECLOSED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        BUS_TESTS,
        cmocka_unit_test(open_errors),
        cmocka_unit_test_setup_teardown(corr_id_in_header, setup, teardown),
        cmocka_unit_test_setup_teardown(unsubscribe_waits_for_handler, setup, teardown),
        cmocka_unit_test_setup_teardown(queue_group_across_connections, setup, teardown),
        cmocka_unit_test_setup_teardown(large_payload, setup, teardown),
        cmocka_unit_test_setup_teardown(server_restart, setup, teardown),
        cmocka_unit_test(close_with_request_in_flight),
    };
    int rc = cmocka_run_group_tests(tests, group_setup, group_teardown);
    server_stop();
    /* nats.c keeps library-wide state (threads, timers, the inbox mux); release it all */
    nats_CloseAndWait(5000);
    return rc;
}
