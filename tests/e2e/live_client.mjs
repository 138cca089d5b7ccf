// A live-updates client for tests/live/test_live_clients.c: connects with a real client library,
// subscribes to a race and prints one line per happening on stdout:
//   READY <transport>            subscribed (the server acknowledged)
//   EVENT <epoch_ms> <transport> <event json>
//   UPGRADED <transport>         Engine.IO switched transport
//   CLOSED <reason>
// Usage: node live_client.mjs <mode> <port> <race_id|all|{subscription JSON}> [namespace] [max_events]
//   a subscription object ({"topic":"matcher","filter":{...}}, {"race_id":7}) is sent as it is;
//   events of namespaces other than /prices and /racing (and /ws events other than
//   updatePrice and raceUpdated) print as {"event":NAME,"data":...}
//   mode: sio (socket.io-client defaults: polling then upgrade), sio-ws (websocket only),
//         sio-poll (polling only), ws (plain WebSocket at /ws with the `ws` package)
import { io } from 'socket.io-client';
import WebSocket from 'ws';

const [mode, port, raceArg, nsp = '/prices', maxArg = '1000000'] = process.argv.slice(2);
const race = raceArg === 'all' ? 'all' : raceArg.startsWith('{') ? null : Number(raceArg);
const sub = race === null ? JSON.parse(raceArg) : { race_id: race };
const max = Number(maxArg);
let seen = 0;
const out = (s) => process.stdout.write(s + '\n');
// events with a "pad" field are load, not content: print them short
const show = (d) => (d && d.pad ? '{"pad":true}' : JSON.stringify(d));
const done = () => { if (++seen >= max) setTimeout(() => process.exit(0), 20); };
setTimeout(() => { out('CLOSED timeout'); process.exit(3); }, 60000).unref();

if (mode.startsWith('sio')) {
  const opts = { path: '/socket.io/', reconnection: false, forceNew: true };
  if (mode === 'sio-ws') opts.transports = ['websocket'];
  if (mode === 'sio-poll') opts.transports = ['polling'];
  const s = io(`http://127.0.0.1:${port}${nsp}`, opts);
  const ev = nsp === '/racing' ? 'raceUpdated' : 'updatePrice';
  s.io.on('open', () => s.io.engine.on('upgrade', (t) => out(`UPGRADED ${t.name}`)));
  s.on('connect', () => {
    s.emit('subscribe', sub, (ack) => {
      if (!ack || !ack.ok) { out(`CLOSED bad-ack ${JSON.stringify(ack)}`); process.exit(2); }
      out(`READY ${s.io.engine.transport.name}`);
    });
  });
  if (nsp === '/prices' || nsp === '/racing') {
    s.on(ev, (data) => { out(`EVENT ${Date.now()} ${s.io.engine.transport.name} ${show(data)}`); done(); });
  } else {
    s.onAny((name, data) => { out(`EVENT ${Date.now()} ${s.io.engine.transport.name} ${JSON.stringify({ event: name, data })}`); done(); });
  }
  s.on('connect_error', (e) => { out(`CLOSED connect_error ${e.message}`); process.exit(2); });
  s.on('disconnect', (r) => { out(`CLOSED ${r}`); process.exit(1); });
} else {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
  ws.on('open', () => ws.send(JSON.stringify({ type: 'subscribe', ...sub })));
  ws.on('message', (buf) => {
    const m = JSON.parse(buf.toString());
    if (m.type === 'subscribed') {
      out('READY websocket');
      return;
    }
    if (m.type === 'error') { out(`CLOSED bad-subscribe ${JSON.stringify(m)}`); process.exit(2); }
    if (m.type === 'updatePrice' || m.type === 'raceUpdated') { out(`EVENT ${Date.now()} websocket ${show(m.data)}`); done(); }
    else if (m.type !== 'unsubscribed' && m.type !== 'pong') { out(`EVENT ${Date.now()} websocket ${JSON.stringify({ event: m.type, data: m.data })}`); done(); }
  });
  ws.on('close', (code) => { out(`CLOSED ${code}`); process.exit(1); });
  ws.on('error', (e) => { out(`CLOSED error ${e.message}`); process.exit(2); });
}
