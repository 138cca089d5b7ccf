// When a view fetches again: a silent refresh every REFRESH_MS while the page is visible, and
// coalesced re-fetches after live events. Both end when the view unmounts.
import { onBeforeUnmount, onMounted } from 'vue';
import { coalesce } from '../lib/racing.js';

export const REFRESH_MS = 15000;

/** Calls `fn` every `ms` while the view is mounted and the page is visible. */
export function usePoll(fn, ms = REFRESH_MS) {
  let timer = null;
  onMounted(() => {
    timer = setInterval(() => {
      if (!document.hidden) fn();
    }, ms);
  });
  onBeforeUnmount(() => clearInterval(timer));
}

/** lib/racing.js's coalesce(fn, ms), cancelled when the view unmounts: { trigger(ms), cancel() }. */
export function useCoalesced(fn, ms) {
  const c = coalesce(fn, ms);
  onBeforeUnmount(c.cancel);
  return c;
}
