// Connection churn for tests/live/test_live_clients.c: `rounds` times, open `n` clients (half
// plain WebSocket on /ws, half socket.io-client over WebSocket on /prices), subscribe each to a
// race, then close them all; prints "ROUND k" after each round and "DONE" at the end.
// Usage: node live_churn.mjs <port> <n> <rounds>
import { io } from 'socket.io-client';
import WebSocket from 'ws';

const [port, nArg, roundsArg] = process.argv.slice(2);
const n = Number(nArg), rounds = Number(roundsArg);
setTimeout(() => { console.log('TIMEOUT'); process.exit(3); }, 120000).unref();

function plain(i) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
    ws.on('open', () => ws.send(JSON.stringify({ type: 'subscribe', race_id: 1 + (i % 50) })));
    ws.on('message', () => resolve(() => new Promise((r) => { ws.on('close', r); ws.close(); })));
    ws.on('error', reject);
  });
}
function sio(i) {
  return new Promise((resolve, reject) => {
    const s = io(`http://127.0.0.1:${port}/prices`, { transports: ['websocket'], reconnection: false, forceNew: true });
    s.on('connect', () => s.emit('subscribe', { race_id: 1 + (i % 50) }, () =>
      resolve(() => new Promise((r) => { s.io.engine.on('close', r); s.disconnect(); }))));
    s.on('connect_error', reject);
  });
}

for (let r = 1; r <= rounds; r++) {
  const closers = [];
  for (let i = 0; i < n; i += 100) {
    const batch = [];
    for (let k = i; k < Math.min(n, i + 100); k++) batch.push(k % 2 ? plain(k) : sio(k));
    closers.push(...(await Promise.all(batch)));
  }
  await Promise.all(closers.map((c) => c()));
  console.log(`ROUND ${r}`);
}
console.log('DONE');
process.exit(0);
