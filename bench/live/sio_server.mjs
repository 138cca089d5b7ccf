// Node.js socket.io baseline for bench/live.sh: the same service as oddzy's /socket.io/ price
// push, written the way a Node.js team would. Subscribes to `race.*.price` on NATS (npm `nats`)
// and broadcasts each message's JSON to the room of its race on namespace /prices as
// `updatePrice`; clients join with `subscribe` {race_id: N} (acknowledged) and leave with
// `unsubscribe`. GET /stats answers process.memoryUsage().
//   node bench/live/sio_server.mjs PORT NATS_URL
// Prints "ready" once listening and subscribed.
import http from 'node:http';
import { connect, StringCodec } from 'nats';
import { Server } from 'socket.io';

const [port, natsUrl] = process.argv.slice(2);
const httpServer = http.createServer((req, res) => {
  if (req.url === '/stats') {
    const body = JSON.stringify({ ...process.memoryUsage(), clients: io.engine.clientsCount });
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
    return;
  }
  res.writeHead(404, { 'Content-Length': 0 });
  res.end();
});
// socket.io's defaults (both transports, pingInterval 25 s, no compression), no bundled client
const io = new Server(httpServer, { serveClient: false });
const prices = io.of('/prices');
const room = (id) => `race:${id}`;
prices.on('connection', (socket) => {
  socket.on('subscribe', (msg, ack) => {
    const id = msg && msg.race_id;
    if (id === undefined) {
      if (typeof ack === 'function') ack({ ok: false, error: 'expected {"race_id": N}' });
      return;
    }
    socket.join(room(id));
    if (typeof ack === 'function') ack({ ok: true, race_id: id });
  });
  socket.on('unsubscribe', (msg, ack) => {
    if (msg && msg.race_id !== undefined) socket.leave(room(msg.race_id));
    if (typeof ack === 'function') ack({ ok: true });
  });
});

const nc = await connect({ servers: natsUrl, maxReconnectAttempts: -1 });
const sc = StringCodec();
const sub = nc.subscribe('race.*.price');
httpServer.listen({ port: Number(port), host: '127.0.0.1', backlog: 4096 }, () => console.log('ready'));
process.on('SIGTERM', () => process.exit(0));
for await (const m of sub) {
  const id = m.subject.split('.')[1];
  let data;
  try {
    data = JSON.parse(sc.decode(m.data));
  } catch {
    continue;
  }
  prices.to(room(id)).emit('updatePrice', data);
}
