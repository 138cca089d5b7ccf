// Live updates over Socket.IO: namespaces "/prices" (updatePrice), "/racing" (raceUpdated)
// and "/odds" (matcherRows, the odds matcher's rows); in each, "resync" when the server lost
// events on their way to this page (onReconnect's hooks re-fetch).
// Subscriptions are reference-counted and replayed after every (re)connect; `liveDown` is true
// while a namespace that has subscribers is disconnected (after a short grace period), which
// drives the "Live updates disconnected, reconnecting…" banner.
import { io } from 'socket.io-client';
import { ref } from 'vue';

export const liveDown = ref(false);

const GRACE_MS = 2500;
const namespaces = {}; // name -> { socket, subs: Map(key -> {payload, count}), handlers: Map(event -> Set), connectedOnce }
const reconnectHooks = new Set();
const subscribedHooks = new Set();
let downTimer = null;

function refreshDown() {
  const anyDown = Object.values(namespaces).some((ns) => ns.subs.size > 0 && !ns.socket.connected);
  if (!anyDown) {
    clearTimeout(downTimer);
    downTimer = null;
    liveDown.value = false;
  } else if (!downTimer && !liveDown.value) {
    downTimer = setTimeout(() => {
      downTimer = null;
      liveDown.value = Object.values(namespaces).some((n) => n.subs.size > 0 && !n.socket.connected);
    }, GRACE_MS);
  }
}

function ns(name) {
  if (namespaces[name]) return namespaces[name];
  const socket = io(name, {
    path: '/socket.io/',
    transports: ['websocket', 'polling'],
    tryAllTransports: true,
    reconnectionDelay: 1000,
    reconnectionDelayMax: 8000,
    autoConnect: false,
  });
  const entry = { socket, subs: new Map(), handlers: new Map(), connectedOnce: false };
  namespaces[name] = entry;
  socket.on('connect', () => {
    for (const { payload } of entry.subs.values()) emitSubscribe(name, socket, payload);
    if (entry.connectedOnce) for (const fn of reconnectHooks) fn(name);
    entry.connectedOnce = true;
    refreshDown();
  });
  socket.on('disconnect', (reason) => {
    // The server left the namespace on purpose: Socket.IO does not reconnect by itself then.
    if (reason === 'io server disconnect')
      setTimeout(() => {
        if (!socket.connected && entry.subs.size > 0) socket.connect();
      }, 1000 + Math.random() * 2000);
    refreshDown();
  });
  socket.on('connect_error', refreshDown);
  // The server lost events of one of this namespace's topics on their way here (it was
  // overloaded): what the page shows may be stale, so whoever re-fetches after a reconnect
  // does it now too.
  socket.on('resync', () => {
    for (const fn of reconnectHooks) fn(name);
  });
  return entry;
}

// The server acknowledges each subscribe with {ok, race_id} or {ok: false, error} (for example
// "too many subscriptions"); a refusal is worth a warning, not an error on the page.
function emitSubscribe(name, socket, payload) {
  socket.timeout(10000).emit('subscribe', payload, (err, ack) => {
    if (err) return; // no answer (disconnected meanwhile): the next connect replays it
    if (ack && ack.ok === false) console.warn(`live ${name}: subscribe ${JSON.stringify(payload)} refused: ${ack.error || 'unknown'}`);
    else if (ack && ack.ok) for (const fn of subscribedHooks) fn(name, 'race_id' in payload ? payload.race_id : payload);
  });
}

/** What a subscription names: a race id or "all" ({race_id}), or a payload object as is. */
export function subscriptionPayload(target) {
  return target !== null && typeof target === 'object' ? target : { race_id: target };
}

/** Subscribe to a race (or "all", or another subscription's payload object, such as the odds
 * matcher's filters) in a namespace; returns the unsubscribe function. */
export function subscribe(name, target) {
  const entry = ns(name);
  const payload = subscriptionPayload(target);
  const key = JSON.stringify(payload);
  const cur = entry.subs.get(key);
  if (cur) cur.count += 1;
  else {
    entry.subs.set(key, { payload, count: 1 });
    if (entry.socket.connected) emitSubscribe(name, entry.socket, payload);
  }
  if (!entry.socket.connected && !entry.socket.active) entry.socket.connect();
  refreshDown();
  let done = false;
  return () => {
    if (done) return;
    done = true;
    const s = entry.subs.get(key);
    if (!s) return;
    s.count -= 1;
    if (s.count <= 0) {
      entry.subs.delete(key);
      if (entry.socket.connected) entry.socket.emit('unsubscribe', payload);
    }
    refreshDown();
  };
}

/** Listen to an event of a namespace; returns the function that stops listening. */
export function on(name, event, fn) {
  const entry = ns(name);
  entry.socket.on(event, fn);
  return () => entry.socket.off(event, fn);
}

/** Called with the namespace name whenever a namespace reconnects, or the server says it lost
 * updates for it (a "resync" event): updates were missed, re-fetch. */
export function onReconnect(fn) {
  reconnectHooks.add(fn);
  return () => reconnectHooks.delete(fn);
}

/** Called with (namespace, race_id or the payload object) each time the server acknowledges a subscription: what
 * was published before it reached the server was not sent to this page (re-fetch). */
export function onSubscribed(fn) {
  subscribedHooks.add(fn);
  return () => subscribedHooks.delete(fn);
}
