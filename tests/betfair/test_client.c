/* The Betfair stream client against a scripted exchange on loopback (plain TCP and TLS with a
 * generated certificate; an untrusted certificate is refused): handshake,
 * image and delta into the racing service, a connection dropped mid-message, the
 * resubscription with the last initialClk/clk, and the race finished from the resumed
 * stream. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "support/fixture.h"
#include <arpa/inet.h>
#include <jansson.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "betfair/client.h"
#include "bus/bus.h"
#include "core/err.h"
#include "racing/racing.h"
#include "store/store.h"

#define WIN_FILE "betfair/historic-1.197931750-greyhound-win"

typedef struct {
    int lfd;
    SSL_CTX *tls;    /* TLS exchange when set */
    SSL *ssl;        /* of the current connection */
    char *lines[200];
    size_t n_lines;
    char sub2[4096]; /* the second subscription, as received */
    int ok;          /* the script ran to its end */
    const char *session_file; /* set: the client reads its token from it, and the exchange
                               * renews it (tok -> tok2) during the first connection */
} exchange;

static exchange *cur; /* the one exchange of a test */

static ssize_t xsend(int fd, const char *s, size_t n)
{
    return cur->ssl ? SSL_write(cur->ssl, s, (int)n) : send(fd, s, n, MSG_NOSIGNAL);
}

static ssize_t xrecv(int fd, char *b, size_t n)
{
    return cur->ssl ? SSL_read(cur->ssl, b, (int)n) : recv(fd, b, n, 0);
}

static int xaccept(exchange *x)
{
    int fd = accept(x->lfd, NULL, NULL);
    if (fd < 0 || !x->tls)
        return fd;
    SSL_free(x->ssl);
    x->ssl = SSL_new(x->tls);
    SSL_set_fd(x->ssl, fd);
    if (SSL_accept(x->ssl) != 1) {
        close(fd);
        return -1;
    }
    return fd;
}

static void send_line(int fd, const char *s)
{
    xsend(fd, s, strlen(s));
    xsend(fd, "\r\n", 2);
}

/* One request line (without CRLF) into buf. */
static int recv_line(int fd, char *buf, size_t n)
{
    size_t k = 0;
    while (k + 1 < n) {
        ssize_t r = xrecv(fd, buf + k, 1);
        if (r <= 0)
            return -1;
        if (buf[k] == '\n') {
            buf[k > 0 && buf[k - 1] == '\r' ? k - 1 : k] = '\0';
            return 0;
        }
        k++;
    }
    return -1;
}

/* A recorded line with the fields of the given change type and clocks added. */
static char *with(const char *line, const char *ct, const char *initial, const char *clk)
{
    json_t *j = json_loads(line, 0, NULL);
    if (ct)
        json_object_set_new(j, "ct", json_string(ct));
    if (initial)
        json_object_set_new(j, "initialClk", json_string(initial));
    json_object_set_new(j, "clk", json_string(clk));
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    return s;
}

static int handshake(int fd, char *sub, size_t n, const char *token)
{
    char req[4096], want[64];
    snprintf(want, sizeof want, "\"session\":\"%s\"", token);
    send_line(fd, "{\"op\":\"connection\",\"connectionId\":\"sim-1\"}");
    if (recv_line(fd, req, sizeof req) || !strstr(req, "\"authentication\"") ||
        !strstr(req, want))
        return -1;
    send_line(fd, "{\"op\":\"status\",\"id\":0,\"statusCode\":\"SUCCESS\"}");
    if (recv_line(fd, sub, n) || !strstr(sub, "\"marketSubscription\""))
        return -1;
    send_line(fd, "{\"op\":\"status\",\"id\":1,\"statusCode\":\"SUCCESS\"}");
    return 0;
}

static void *exchange_thread(void *arg)
{
    exchange *x = arg;
    char sub[4096];
    /* first connection: image (first line) and 40 deltas, then a cut in mid-message */
    int fd = xaccept(x);
    if (fd < 0 || handshake(fd, sub, sizeof sub, "tok") || strstr(sub, "clk"))
        goto out;
    if (x->session_file) { /* oddzy betfair-login renewed the token */
        FILE *f = fopen(x->session_file, "w");
        fputs("tok2\n", f);
        fclose(f);
    }
    char *img = with(x->lines[0], "SUB_IMAGE", "I1", "C0");
    send_line(fd, img);
    free(img);
    for (size_t i = 1; i <= 40; i++) {
        char clk[32];
        snprintf(clk, sizeof clk, "C%zu", i);
        char *d = with(x->lines[i], NULL, NULL, clk);
        send_line(fd, d);
        free(d);
    }
    const char *cut = "{\"op\":\"mcm\",\"clk\":\"C41\",\"pt\":1650392800000,\"mc\":[{\"id\":\"1.19";
    xsend(fd, cut, strlen(cut));
    usleep(300 * 1000);
    close(fd);
    /* second connection: the client resumes from C40; the rest of the market from there */
    fd = xaccept(x);
    if (fd < 0 || handshake(fd, x->sub2, sizeof x->sub2, x->session_file ? "tok2" : "tok"))
        goto out;
    for (size_t i = 41; i < x->n_lines; i++) {
        char clk[32];
        snprintf(clk, sizeof clk, "C%zu", i);
        char *d = with(x->lines[i], i == 41 ? "RESUB_DELTA" : NULL, NULL, clk);
        send_line(fd, d);
        free(d);
    }
    x->ok = 1;
    char buf[64];
    while (xrecv(fd, buf, sizeof buf) > 0) /* until the client hangs up */
        ;
out:
    if (fd >= 0)
        close(fd);
    return NULL;
}

/* A self-signed certificate for "localhost" (written to `pem` for the client to trust) and
 * the server context presenting it. */
static SSL_CTX *tls_server(const char *pem)
{
    EVP_PKEY *pk = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    assert_non_null(pk);
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -60);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, pk);
    X509_NAME *nm = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC, (const unsigned char *)"localhost", -1,
                               -1, 0);
    X509_set_issuer_name(x, nm);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, "DNS:localhost");
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    assert_true(X509_sign(x, pk, EVP_sha256()) > 0);
    FILE *f = fopen(pem, "w");
    assert_non_null(f);
    PEM_write_X509(f, x);
    fclose(f);
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    assert_int_equal(SSL_CTX_use_certificate(ctx, x), 1);
    assert_int_equal(SSL_CTX_use_PrivateKey(ctx, pk), 1);
    X509_free(x);
    EVP_PKEY_free(pk);
    return ctx;
}

static void run_exchange(bool tls, const char *session_file)
{
    exchange x = {.session_file = session_file};
    cur = &x;
    char pem[] = "/tmp/oddzy-bf-cert-XXXXXX";
    if (tls) {
        int pfd = mkstemp(pem);
        assert_true(pfd >= 0);
        close(pfd);
        x.tls = tls_server(pem);
    }
    size_t len;
    char *body = fixture_slurp(WIN_FILE, &len);
    for (char *p = body, *nl; *p && x.n_lines < 200; p = nl + 1) {
        nl = strchr(p, '\n');
        if (!nl)
            break;
        *nl = '\0';
        x.lines[x.n_lines++] = p;
    }
    assert_int_equal(x.n_lines, 166);
    x.lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    assert_int_equal(bind(x.lfd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(x.lfd, 4), 0);
    assert_int_equal(getsockname(x.lfd, (struct sockaddr *)&a, &al), 0);
    char port[16];
    snprintf(port, sizeof port, "%d", ntohs(a.sin_port));
    pthread_t th;
    pthread_create(&th, NULL, exchange_thread, &x);

    char err[ODZ_ERRLEN] = "";
    odz_bus *bus = odz_bus_inproc_new();
    odz_store *store = odz_store_open(":memory:", err);
    assert_non_null(store);
    odz_racing *racing = odz_racing_start(bus, store, "Europe/London", err);
    assert_non_null(racing);
    const char *types[] = {"4339"};
    odz_bf_client_config cfg = {.host = tls ? "localhost" : "127.0.0.1", .port = port,
                                .tls = tls, .ca_file = tls ? pem : NULL, .app_key = "key",
                                .session_token = "tok", .tz = "Europe/London", .flush_ms = 100,
                                .session_file = session_file};
    cfg.sub.event_type_ids = types;
    cfg.sub.n_event_type_ids = 1;
    odz_bf_client *c = odz_bf_client_start(bus, &cfg, err);
    assert_non_null(c);

    odz_races races = {0};
    int status = -1;
    for (int i = 0; i < 300 && status != ODZ_FINAL; i++) {
        struct timespec ts = {0, 100 * 1000000L};
        nanosleep(&ts, NULL);
        odz_races_free(&races);
        if (store->ops->list_races(store, "2022-04-19", "2022-04-19", &races, err) == 0 &&
            races.n == 1)
            status = (int)races.v[0].status;
    }
    odz_bf_client_stats stats;
    odz_bf_client_stats_get(c, &stats);
    odz_bf_client_stop(c);
    pthread_join(th, NULL);
    assert_int_equal(status, ODZ_FINAL);
    assert_int_equal(races.v[0].n_results, 1);
    assert_int_equal(races.v[0].results[0].number, 2);
    assert_true(x.ok);
    assert_int_equal(stats.connects, 2);
    assert_non_null(strstr(x.sub2, "\"initialClk\":\"I1\""));
    assert_non_null(strstr(x.sub2, "\"clk\":\"C40\"")); /* the cut message was not counted */
    odz_selections sels = {0};
    assert_int_equal(store->ops->list_selections(store, races.v[0].id, &sels, err), 0);
    assert_int_equal(sels.n, 6);
    odz_prices prices = {0};
    assert_int_equal(store->ops->price_history(store, sels.v[0].id, ODZ_EXCHANGE_BACK, &prices,
                                               err),
                     0);
    /* prices were stored (how many points depends on how the 100 ms flushes fall against
     * the exchange's pace: on a fast machine one flush may hold a whole connection's changes;
     * that the second connection resumed from the right clk is checked above) */
    assert_true(prices.n >= 1);
    odz_prices_free(&prices);
    odz_selections_free(&sels);
    odz_races_free(&races);
    odz_racing_stop(racing);
    store->ops->close(store);
    odz_bus_close(bus);
    close(x.lfd);
    free(body);
    SSL_free(x.ssl);
    if (tls) {
        SSL_CTX_free(x.tls);
        unlink(pem);
    }
}

static void client_resumes_after_a_drop(void **st)
{
    (void)st;
    run_exchange(false, NULL);
}

/* The token comes from a session file, read again at every connection: the reconnect
 * authenticates with the token renewed in between. */
static void client_rereads_the_session_file(void **st)
{
    (void)st;
    char path[] = "/tmp/oddzy-bf-session-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "tok\n", 4), 4);
    close(fd);
    run_exchange(false, path);
    unlink(path);
}

static void client_over_tls(void **st)
{
    (void)st;
    run_exchange(true, NULL);
}

/* A certificate the client does not trust: no connection is ever made. */
static void client_checks_the_certificate(void **st)
{
    (void)st;
    char pem[] = "/tmp/oddzy-bf-cert-XXXXXX", other[] = "/tmp/oddzy-bf-cert-XXXXXX";
    close(mkstemp(pem));
    close(mkstemp(other));
    SSL_CTX *srv = tls_server(pem), *unused = tls_server(other); /* trust another one */
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(lfd, 4), 0);
    assert_int_equal(getsockname(lfd, (struct sockaddr *)&a, &al), 0);
    char port[16], err[ODZ_ERRLEN];
    snprintf(port, sizeof port, "%d", ntohs(a.sin_port));
    odz_bus *bus = odz_bus_inproc_new();
    odz_bf_client_config cfg = {.host = "localhost", .port = port, .tls = true, .ca_file = other,
                                .app_key = "key", .session_token = "tok"};
    odz_bf_client *c = odz_bf_client_start(bus, &cfg, err);
    assert_non_null(c);
    int fd = accept(lfd, NULL, NULL);
    SSL *ssl = SSL_new(srv);
    SSL_set_fd(ssl, fd);
    assert_int_not_equal(SSL_accept(ssl), 1); /* the client refused the handshake */
    odz_bf_client_stats stats;
    odz_bf_client_stats_get(c, &stats);
    odz_bf_client_stop(c);
    assert_int_equal(stats.connects, 0);
    SSL_free(ssl);
    close(fd);
    close(lfd);
    odz_bus_close(bus);
    SSL_CTX_free(srv);
    SSL_CTX_free(unused);
    unlink(pem);
    unlink(other);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(client_resumes_after_a_drop),
        cmocka_unit_test(client_rereads_the_session_file),
        cmocka_unit_test(client_over_tls),
        cmocka_unit_test(client_checks_the_certificate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
