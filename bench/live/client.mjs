// Load generator worker for bench/live/run.mjs (forked, talks to it over IPC).
//   client.mjs MODE URL COUNT RACE_ID
// MODE sio: socket.io-client 4, transports ['websocket'], namespace /prices, emit `subscribe`
//           {race_id} with an ack, listen to `updatePrice`.
// MODE ws:  the `ws` package on /ws: {"type":"subscribe","race_id":N} in, waits for
//           {"type":"subscribed"}, listens to {"type":"updatePrice","data":{...}}.
// Each event carries the publisher's `sent_ms` (CLOCK_MONOTONIC, shared by every process on
// the machine) and a `phase` tag; latency = receipt - sent_ms, kept in a histogram (10 us below 1 s, 1 ms above).
// Commands from the parent: connect, start {phase}, count, stop, close.
import { io } from 'socket.io-client';
import WebSocket from 'ws';

const [mode, url, countArg, raceArg] = process.argv.slice(2);
const COUNT = Number(countArg);
const RACE = Number(raceArg);
const CONCURRENCY = Number(process.env.BENCH_CONNECT_CONCURRENCY || 250);
// latency histogram: 10 us buckets below 1 s, 1 ms buckets from 1 s to 120 s (the max is exact)
const FINE = 100_000; // 0 .. 1000 ms by 0.01 ms
const NB = FINE + 119_000; // 1 s .. 120 s by 1 ms
const bucketOf = (l) => (l < 1000 ? Math.max(0, Math.floor(l * 100)) : Math.min(NB - 1, FINE + Math.floor(l - 1000)));

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;
const clients = [];
let phase = null;
let hist = new Uint32Array(NB);
let received = 0, stray = 0, maxLat = 0, firstRecv = 0, lastRecv = 0;
let closedAfterReady = 0, ready = false;
let firstBySeq = [], lastBySeq = []; // per event: earliest and latest latency in this process

function onData(d) {
  if (!d || d.phase !== phase) {
    stray++;
    return;
  }
  const t = nowMs();
  const l = t - d.sent_ms;
  hist[bucketOf(l)]++;
  if (l > maxLat) maxLat = l;
  const q = d.seq;
  if (firstBySeq[q] === undefined || l < firstBySeq[q]) firstBySeq[q] = l;
  if (lastBySeq[q] === undefined || l > lastBySeq[q]) lastBySeq[q] = l;
  if (!firstRecv) firstRecv = t;
  lastRecv = t;
  received++;
}

const closeReasons = {};
function onGone(reason, code) {
  if (!ready) return;
  closedAfterReady++;
  const k = typeof reason === 'number' ? `close ${reason}${code ? ' ' + code : ''}` : String(reason);
  closeReasons[k] = (closeReasons[k] || 0) + 1;
}

function connectSio() {
  return new Promise((resolve, reject) => {
    const s = io(url + '/prices', {
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      timeout: 30000,
    });
    const timer = setTimeout(() => {
      s.close();
      reject(new Error('subscribe timeout'));
    }, 60000);
    s.on('connect', () => {
      s.emit('subscribe', { race_id: RACE }, (ack) => {
        clearTimeout(timer);
        if (ack && ack.ok) resolve(s);
        else {
          s.close();
          reject(new Error('subscribe refused: ' + JSON.stringify(ack)));
        }
      });
    });
    s.on('connect_error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    s.on('updatePrice', onData);
    s.on('disconnect', onGone);
  });
}

function connectWs() {
  return new Promise((resolve, reject) => {
    const w = new WebSocket(url + '/ws', { perMessageDeflate: false });
    let subscribed = false;
    const timer = setTimeout(() => {
      w.terminate();
      reject(new Error('subscribe timeout'));
    }, 60000);
    w.on('open', () => w.send(JSON.stringify({ type: 'subscribe', race_id: RACE })));
    w.on('message', (buf) => {
      const m = JSON.parse(buf);
      if (m.type === 'updatePrice') onData(m.data);
      else if (m.type === 'subscribed' && !subscribed) {
        subscribed = true;
        clearTimeout(timer);
        resolve(w);
      } else if (m.type === 'error' && !subscribed) {
        clearTimeout(timer);
        w.terminate();
        reject(new Error('subscribe refused: ' + buf));
      }
    });
    w.on('error', (e) => {
      if (!subscribed) {
        clearTimeout(timer);
        reject(e);
      }
    });
    w.on('close', (code, why) => onGone(code, why && why.toString()));
  });
}

async function connectAll() {
  const t0 = nowMs();
  const one = mode === 'ws' ? connectWs : connectSio;
  let next = 0, failed = 0, firstError = null;
  async function lane() {
    while (next < COUNT) {
      next++;
      try {
        clients.push(await one());
      } catch (e) {
        failed++;
        if (!firstError) firstError = String(e && e.message ? e.message : e);
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, COUNT) }, lane));
  ready = true;
  return { connected: clients.length, failed, firstError, ms: nowMs() - t0 };
}

function closeAll() {
  ready = false;
  for (const c of clients) {
    if (mode === 'ws') c.terminate();
    else c.close();
  }
}

process.on('message', async (m) => {
  switch (m.cmd) {
    case 'connect':
      process.send({ type: 'connected', ...(await connectAll()) });
      break;
    case 'start':
      phase = m.phase;
      hist = new Uint32Array(NB);
      received = stray = maxLat = firstRecv = lastRecv = 0;
      firstBySeq = [];
      lastBySeq = [];
      process.send({ type: 'started' });
      break;
    case 'count':
      process.send({ type: 'count', received, open: clients.length - closedAfterReady });
      break;
    case 'stop': {
      const buckets = [];
      for (let i = 0; i < NB; i++) if (hist[i]) buckets.push(i, hist[i]);
      process.send({ type: 'stats', buckets, received, stray, maxLat, firstRecv, lastRecv, closed: closedAfterReady, closeReasons,
        firstBySeq: Array.from(firstBySeq, (x) => (x === undefined ? null : x)),
        lastBySeq: Array.from(lastBySeq, (x) => (x === undefined ? null : x)) });
      phase = null;
      break;
    }
    case 'close':
      closeAll();
      setTimeout(() => process.exit(0), 200);
      break;
  }
});
process.on('disconnect', () => process.exit(0));
process.send({ type: 'hello' });
