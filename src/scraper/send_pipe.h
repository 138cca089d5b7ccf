/* A scrape sender with a thread of its own and one send in flight, for a source that fills a
 * scrape every second (the Betfair replay): while the racing service stores one scrape, the
 * source reads and parses the next, so the two halves of ingest run on two cores instead of
 * one after the other. Order is kept (one send at a time, in the order handed over), and
 * nothing handed over is dropped: odz_send_pipe_free waits for the send in flight. */
#ifndef ODZ_SCRAPER_SEND_PIPE_H
#define ODZ_SCRAPER_SEND_PIPE_H

#include <stdbool.h>
#include <stdint.h>

#include "bus/bus.h"
#include "source/source.h"

typedef struct odz_send_pipe odz_send_pipe;

/** Told the outcome of each send, on the pipe's thread: odz_scrape_send_as's result (races
 * changed, or a negative code) and its words when it failed. */
typedef void (*odz_send_done)(void *ud, int rc, const char *err);

/** A pipe sending with odz_scrape_send_as(bus, .., source, match) (source copied; NULL for
 * none). NULL with err (ODZ_ERRLEN) when the thread cannot start. */
odz_send_pipe *odz_send_pipe_new(odz_bus *bus, const char *source, bool match,
                                 odz_send_done done, void *ud, char *err);

/** Wait until the send in flight (if any) is done, then take *sc to send, stamped `now`, and
 * give the caller in its place an empty scrape with the arrays of an earlier one (fill it
 * next). */
void odz_send_pipe_submit(odz_send_pipe *p, odz_scrape *sc, int64_t now);

/** Wait until every scrape handed over is sent. */
void odz_send_pipe_drain(odz_send_pipe *p);

/** Drain, stop the thread and free the pipe (NULL: nothing). */
void odz_send_pipe_free(odz_send_pipe *p);

#endif
