// One fetched resource of a view (a schedule, a race card, next to jump): the latest answer
// wins (a sequence guard drops answers to earlier requests), a silent refresh keeps showing the
// data it has when it fails (refreshError), and a re-fetched answer can be merged with what the
// page shows before it replaces it.
import { onBeforeUnmount, ref } from 'vue';
import { REFRESH_MS, useCoalesced, usePoll } from './useRefresh.js';

/**
 * fetcher(params) -> Promise of the body. Options:
 * - params(): the request's parameters, read when it starts (e.g. the route's race id);
 * - merge(old, body, params): every body before it replaces the shown one (old null when none
 *   is shown: live events that came before the first answer are merged into it too);
 * - onLoaded(body, { silent, params }): after the body is shown;
 * - refreshMs: silent refresh period while the page is visible (0: none; REFRESH_MS);
 * - refetchMs: default delay of `refetch.trigger()` (a coalesced silent load; trigger(ms,
 *   { fresh: true }) passes { fresh: true } to the fetcher as its second argument).
 * Returns { data, loading, error, refreshError, load({ silent }), refetch }.
 */
export function useResource(fetcher, { params = () => undefined, merge, onLoaded, refreshMs = REFRESH_MS, refetchMs = 1000 } = {}) {
  const data = ref(null);
  const loading = ref(false);
  const error = ref(null);
  const refreshError = ref(false);
  let seq = 0;

  async function load({ silent = false, fresh = false } = {}) {
    const my = ++seq;
    const p = params();
    if (!silent) {
      loading.value = true;
      error.value = null;
    }
    try {
      const body = await fetcher(p, { fresh });
      if (my !== seq) return;
      if (merge) merge(data.value, body, p);
      data.value = body;
      error.value = null;
      refreshError.value = false;
      if (onLoaded) onLoaded(body, { silent, params: p });
    } catch (e) {
      if (my !== seq) return;
      if (silent && data.value) refreshError.value = true;
      else {
        error.value = e;
        data.value = null;
      }
    } finally {
      if (my === seq) loading.value = false;
    }
  }

  const refetch = useCoalesced(({ fresh } = {}) => load({ silent: true, fresh }), refetchMs);
  if (refreshMs > 0) usePoll(() => load({ silent: true }), refreshMs);
  onBeforeUnmount(() => {
    seq++; // an answer still on its way is dropped
  });
  return { data, loading, error, refreshError, load, refetch };
}
