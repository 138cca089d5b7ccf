// A namespace's "resync" (the server lost events on their way to this page) calls the same
// hooks as a reconnect, so every view re-fetches what it shows (src/lib/live.js).
import { describe, expect, it, vi } from 'vitest';

const sockets = {};
vi.mock('socket.io-client', () => ({
  io: (name) => {
    const handlers = new Map();
    const socket = {
      connected: false,
      active: false,
      on: (ev, fn) => handlers.set(ev, [...(handlers.get(ev) || []), fn]),
      off: () => {},
      emit: () => {},
      timeout: () => socket,
      connect: () => {
        socket.active = true;
      },
      fire: (ev, ...args) => (handlers.get(ev) || []).forEach((fn) => fn(...args)),
    };
    sockets[name] = socket;
    return socket;
  },
}));

const { onReconnect, subscribe } = await import('../../src/lib/live.js');

describe('resync', () => {
  it('re-fetches through the reconnect hooks when the server says events were lost', () => {
    const seen = [];
    const stop = onReconnect((name) => seen.push(name));
    const unsubscribe = subscribe('/prices', 7);
    const s = sockets['/prices'];
    s.connected = true;
    s.fire('connect'); // the first connect: nothing was missed yet
    expect(seen).toEqual([]);
    s.fire('resync', { topic: 'prices' });
    expect(seen).toEqual(['/prices']);
    s.fire('connect'); // a reconnect: the same hooks
    expect(seen).toEqual(['/prices', '/prices']);
    stop();
    s.fire('resync', { topic: 'prices' });
    expect(seen).toEqual(['/prices', '/prices']);
    unsubscribe();
  });
});
