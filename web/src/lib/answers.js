// Which answers of a resource's requests a page shows (useResource), apart from Vue so that it
// can be tested on its own.
//
// The newest answer wins: an answer to a request older than the one shown is dropped. But an
// answer overtaken by a later request (a re-fetch asked while it was on its way) is still shown
// while nothing newer is: the page would otherwise wait for the later answer, and while a server
// is slower than the page's re-fetches (live events trigger one every second or so), every
// answer would be overtaken and the page would stay "loading" for as long as that lasts.
// An answer to parameters that are no longer the resource's (another race, another day) is
// dropped, as is every answer once the page is gone.

/** Parameters compared by value (a race id, or a { date, type } object). */
export function sameParams(a, b) {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

/**
 * ask() -> ticket of a request, in the order they were made;
 * take(ticket, asked, current) -> whether its answer is shown (asked: the parameters it was
 *   made with; current: the resource's now); a taken answer is the one later answers must beat;
 * latest(ticket) -> whether no request was made after it (its failure is shown: an earlier
 *   request's failure is not, while a later one may still succeed);
 * close(): the page is gone, nothing more is taken.
 */
export function createAnswerOrder() {
  let asked = 0;
  let shown = 0;
  let closed = false;
  return {
    ask: () => ++asked,
    take(ticket, params, current) {
      if (closed || ticket <= shown || !sameParams(params, current)) return false;
      shown = ticket;
      return true;
    },
    latest: (ticket) => !closed && ticket === asked,
    close() {
      closed = true;
    },
  };
}
