/* Many sockets' writes in a few system calls (io_uring). An event fanned out to 10,000
 * WebSocket clients is 10,000 small writes in one loop turn; written one writev each, half of
 * the CPU went to entering and leaving the kernel (a null system call costs 1.1 µs on the VM
 * this was measured on) and to the receiver's wake-ups that each separate call caused. Queued
 * here and written by io_uring, a turn's writes go in one submission per ODZ_SENDBATCH_RING of
 * them, each still a nonblocking sendmsg of its own socket: the same bytes, in the same order
 * per socket.
 *
 * Loop-thread only (one batch per event loop). Without io_uring (an old kernel, a sandbox
 * that forbids it, or ODDZY_IO_URING=0 in the environment) there is no batch and the caller
 * writes each socket itself, as before. */
#ifndef ODZ_HTTP_SENDBATCH_H
#define ODZ_HTTP_SENDBATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>

#define ODZ_SENDBATCH_RING 256      /* writes a submission */
#define ODZ_SENDBATCH_MAX (1u << 20) /* writes a flush */

typedef struct odz_sendbatch odz_sendbatch;

/** A new, empty batch; NULL when io_uring cannot be used here (then write on your own). */
odz_sendbatch *odz_sendbatch_new(void);
void odz_sendbatch_free(odz_sendbatch *b);

/** Queue a write of iov[0..n) (n at most IOV_MAX) to `fd`; the iovecs and their bytes must
 *  stay valid until the flush. false when it cannot be queued (full, out of memory, n out of
 *  range): write that one on your own. */
bool odz_sendbatch_add(odz_sendbatch *b, int fd, const struct iovec *iov, size_t n);
/** Writes queued since the last flush. */
size_t odz_sendbatch_count(const odz_sendbatch *b);

/** Write everything queued, without blocking (MSG_DONTWAIT | MSG_NOSIGNAL), then read each
 *  write's outcome with odz_sendbatch_result. The batch is then empty for the next adds. 0, or
 *  -errno when io_uring itself failed: then free the batch and write on your own from then on
 *  (writes the kernel took but did not answer for report -EIO: their fate is unknown). */
int odz_sendbatch_flush(odz_sendbatch *b);
/** The outcome of the i-th write of the last flush: the bytes written (fewer than asked when
 *  the socket's buffer filled: write the rest when it drains) or -errno (-EAGAIN: nothing
 *  fitted; another error: part of it may have gone, close the connection). Nothing of it was
 *  sent, write it yourself: -ECANCELED (the ring failed before its turn) and -EINVAL (an i
 *  the flush did not have, or it ran out of memory before sending anything). */
ssize_t odz_sendbatch_result(const odz_sendbatch *b, size_t i);

/** Tests: the next submission of any batch fails with `err` (a -errno) without reaching the
 *  kernel, as io_uring_enter failing would. */
void odz_sendbatch__fail_next_submit(int err);

/** Submissions made (system calls entering the ring) and writes done through it, since the
 *  process started (all batches). */
unsigned long odz_sendbatch_submits(void);
unsigned long odz_sendbatch_writes(void);

#endif
