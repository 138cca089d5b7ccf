/* Many sockets' writes in a few system calls (sendbatch.h), on liburing. */
#include "http/sendbatch.h"

#include <errno.h>
#include <limits.h>
#include <liburing.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/grow.h"

typedef struct {
    int fd;
    struct msghdr msg;
} write_ent;

struct odz_sendbatch {
    struct io_uring ring;
    write_ent *w;
    size_t n, cap;
    ssize_t *res; /* the last flush's outcomes (res_cap entries, nres of them valid) */
    size_t nres, res_cap;
};

static atomic_ulong submits, writes;
static atomic_int fail_next; /* tests: the next submission fails with this -errno */

odz_sendbatch *odz_sendbatch_new(void)
{
    const char *env = getenv("ODDZY_IO_URING");
    if (env && !strcmp(env, "0"))
        return NULL;
    odz_sendbatch *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    /* completions are reaped after each submission: a queue twice the ring never fills */
    struct io_uring_params p = {.flags = IORING_SETUP_CQSIZE, .cq_entries = 2 * ODZ_SENDBATCH_RING};
    if (io_uring_queue_init_params(ODZ_SENDBATCH_RING, &b->ring, &p) < 0) {
        free(b);
        return NULL;
    }
    return b;
}

void odz_sendbatch_free(odz_sendbatch *b)
{
    if (!b)
        return;
    io_uring_queue_exit(&b->ring);
    free(b->w);
    free(b->res);
    free(b);
}

bool odz_sendbatch_add(odz_sendbatch *b, int fd, const struct iovec *iov, size_t n)
{
    if (!n || n > IOV_MAX || fd < 0 || b->n >= ODZ_SENDBATCH_MAX)
        return false;
    write_ent *w = odz_grow(b->w, b->n, &b->cap, sizeof *w, 1024);
    if (!w)
        return false;
    b->w = w;
    w[b->n++] = (write_ent){.fd = fd,
                            .msg = {.msg_iov = (struct iovec *)(uintptr_t)iov, .msg_iovlen = n}};
    return true;
}

size_t odz_sendbatch_count(const odz_sendbatch *b)
{
    return b->n;
}

/* Completions of `want` submitted writes into res (by the index each carries). */
static int reap(odz_sendbatch *b, unsigned want, ssize_t *res)
{
    for (unsigned got = 0; got < want; got++) {
        struct io_uring_cqe *cqe;
        int r;
        while ((r = io_uring_wait_cqe(&b->ring, &cqe)) == -EINTR)
            ;
        if (r < 0)
            return r;
        if (cqe->user_data < b->n)
            res[cqe->user_data] = cqe->res;
        io_uring_cqe_seen(&b->ring, cqe);
    }
    return 0;
}

int odz_sendbatch_flush(odz_sendbatch *b)
{
    b->nres = 0;
    if (b->res_cap < b->n) {
        ssize_t *r = realloc(b->res, b->cap * sizeof *r); /* cap >= n */
        if (!r) {
            b->n = 0;
            return -ENOMEM; /* nothing was sent: every result says -EINVAL */
        }
        b->res = r;
        b->res_cap = b->cap;
    }
    ssize_t *res = b->res;
    int rc = 0;
    size_t done = 0;
    while (rc == 0 && done < b->n) {
        unsigned k = b->n - done < ODZ_SENDBATCH_RING ? (unsigned)(b->n - done) : ODZ_SENDBATCH_RING;
        for (unsigned j = 0; j < k; j++) {
            struct io_uring_sqe *sqe = io_uring_get_sqe(&b->ring); /* k fit: the ring is empty */
            io_uring_prep_sendmsg(sqe, b->w[done + j].fd, &b->w[done + j].msg,
                                  MSG_DONTWAIT | MSG_NOSIGNAL);
            sqe->user_data = done + j;
            res[done + j] = -EIO; /* until its completion says otherwise */
        }
        /* nonblocking sends complete while they are submitted: the wait costs no sleep */
        unsigned submitted = 0;
        while (rc == 0 && submitted < k) {
            int injected = atomic_exchange(&fail_next, 0);
            int s = injected ? injected : io_uring_submit(&b->ring);
            if (s == -EINTR)
                continue;
            if (s <= 0)
                rc = s < 0 ? s : -EIO;
            else
                submitted += (unsigned)s;
            atomic_fetch_add_explicit(&submits, 1, memory_order_relaxed);
        }
        /* the kernel takes a ring's entries in order: those after the ones it took were not
         * sent (they stay in the ring, which the caller now frees) */
        for (unsigned j = submitted; j < k; j++)
            res[done + j] = -ECANCELED;
        int r = reap(b, submitted, res);
        if (rc == 0)
            rc = r;
        atomic_fetch_add_explicit(&writes, submitted, memory_order_relaxed);
        done += k;
    }
    for (size_t i = done; i < b->n; i++)
        res[i] = -ECANCELED; /* never handed to the kernel */
    b->nres = b->n;
    b->n = 0;
    return rc;
}

ssize_t odz_sendbatch_result(const odz_sendbatch *b, size_t i)
{
    return i < b->nres ? b->res[i] : -EINVAL;
}

void odz_sendbatch__fail_next_submit(int err)
{
    atomic_store(&fail_next, err);
}

unsigned long odz_sendbatch_submits(void)
{
    return atomic_load_explicit(&submits, memory_order_relaxed);
}

unsigned long odz_sendbatch_writes(void)
{
    return atomic_load_explicit(&writes, memory_order_relaxed);
}
