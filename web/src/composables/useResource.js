// One fetched resource of a view (a schedule, a race card, next to jump): the newest answer wins
// (lib/answers.js: an answer overtaken by a later request is still shown while nothing newer
// is), a silent refresh keeps showing the data it has when it fails (refreshError), and a
// re-fetched answer can be merged with what the page shows before it replaces it.
import { onBeforeUnmount, ref } from 'vue';
import { createAnswerOrder } from '../lib/answers.js';
import { REFRESH_MS, useCoalesced, usePoll } from './useRefresh.js';

/**
 * fetcher(params) -> Promise of the body. Options:
 * - params(): the request's parameters, read when it starts (e.g. the route's race id);
 * - merge(old, body, params, askedAt): every body before it replaces the shown one (old null
 *   when none is shown: live events that came before the first answer are merged into it too;
 *   askedAt: Date.now() when its request was made, so live events since then can stay);
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
  const order = createAnswerOrder();
  let loadingFor = 0; // the latest load that was not silent

  async function load({ silent = false, fresh = false } = {}) {
    const my = order.ask();
    const p = params();
    const askedAt = Date.now();
    if (!silent) {
      loadingFor = my;
      loading.value = true;
      error.value = null;
    }
    try {
      const body = await fetcher(p, { fresh });
      if (!order.take(my, p, params())) return;
      if (merge) merge(data.value, body, p, askedAt);
      data.value = body;
      error.value = null;
      refreshError.value = false;
      if (my >= loadingFor) loading.value = false;
      if (onLoaded) onLoaded(body, { silent, params: p });
    } catch (e) {
      if (!order.latest(my)) return;
      if (silent && data.value) refreshError.value = true;
      else {
        error.value = e;
        data.value = null;
      }
      loading.value = false;
    }
  }

  const refetch = useCoalesced(({ fresh } = {}) => load({ silent: true, fresh }), refetchMs);
  if (refreshMs > 0) usePoll(() => load({ silent: true }), refreshMs);
  onBeforeUnmount(() => order.close()); // an answer still on its way is dropped
  return { data, loading, error, refreshError, load, refetch };
}
