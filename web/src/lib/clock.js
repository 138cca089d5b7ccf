// Server clock. Every API response carries the server's `now` (epoch seconds). The server may
// run a simulated clock faster than real time (`oddzy run --speed N`), so we keep an anchor
// (server time, client time) and an estimated rate, and re-anchor on every response.
// `nowSec` is a reactive ref that ticks once a second with the estimated server time.
import { ref } from 'vue';

const anchor = { server: null, client: 0 };
let base = null; // older anchor used to estimate the rate
let rate = 1;

function clientSec() {
  return Date.now() / 1000;
}

export function serverNow() {
  if (anchor.server === null) return clientSec();
  return anchor.server + (clientSec() - anchor.client) * rate;
}

export const nowSec = ref(Math.floor(serverNow()));

/** Record a server `now` from a response. Ignored if not a finite number. */
export function syncClock(now) {
  if (typeof now !== 'number' || !Number.isFinite(now)) return;
  const c = clientSec();
  if (base === null) base = { server: now, client: c };
  const dc = c - base.client;
  if (dc >= 10) {
    // Whole-second server times: estimate only over 10 s or more, snap near-real rates to 1.
    let r = (now - base.server) / dc;
    if (!(r > 0)) r = 1;
    if (r > 0.8 && r < 1.25) r = 1;
    rate = Math.min(r, 1000);
    base = { server: now, client: c };
  } else if (now < base.server) {
    base = { server: now, client: c }; // server clock restarted
    rate = 1;
  }
  anchor.server = now;
  anchor.client = c;
  nowSec.value = Math.floor(serverNow());
}

/** The estimated rate of the server clock (1 = real time). */
export function clockRate() {
  return rate;
}

let timer = null;
export function startClock() {
  if (timer) return;
  timer = setInterval(() => {
    nowSec.value = Math.floor(serverNow());
  }, 500);
}
