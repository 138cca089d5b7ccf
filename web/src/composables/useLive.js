// Live updates for a view while it is mounted (lib/live.js): subscriptions that follow the
// route, event listeners, and re-fetches for what the page may have missed. Everything is
// undone when the view unmounts.
import { onBeforeUnmount, watch } from 'vue';
import { on, onReconnect, onSubscribed, subscribe } from '../lib/live.js';

/**
 * - rooms(): [[namespace, race id, "all" or a payload object], ...] to subscribe to; re-subscribed when it
 *   changes (a new race on the same view); null keeps the current ones (a route on its way out);
 * - events: [[namespace, event, handler], ...];
 * - refetch: a coalesced re-fetch ({ trigger(ms, opts) }), triggered after every reconnect
 *   (updates were missed meanwhile) with reconnectMs, and, when ackMs is given, each time the
 *   server acknowledges a subscription to one of rooms() (what was published before it reached
 *   the server was not sent to this page), with { fresh: true } when ackFresh is set (the
 *   resource then asks the server for what its view has heard of, not the bytes it holds).
 */
export function useLive({ rooms = () => [], events = [], refetch, reconnectMs, ackMs, ackFresh = false } = {}) {
  let subs = [];
  const listeners = events.map(([name, event, fn]) => on(name, event, fn));
  if (refetch) {
    listeners.push(onReconnect(() => refetch.trigger(reconnectMs)));
    if (ackMs !== undefined)
      listeners.push(
        onSubscribed((name, id) => {
          if ((rooms() || []).some(([, rid]) => JSON.stringify(rid) === JSON.stringify(id))) refetch.trigger(ackMs, { fresh: ackFresh });
        }),
      );
  }
  const roomsKey = () => {
    const list = rooms();
    return list ? list.map(([name, id]) => `${name} ${JSON.stringify(id)}`).join('|') : null;
  };
  const stop = watch(
    roomsKey,
    (key) => {
      if (key === null) return;
      subs.forEach((f) => f());
      subs = rooms().map(([name, id]) => subscribe(name, id));
    },
    { immediate: true },
  );
  onBeforeUnmount(() => {
    stop();
    subs.forEach((f) => f());
    subs = [];
    listeners.forEach((f) => f());
  });
}
