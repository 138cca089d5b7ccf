// Node.js `http` baseline for bench/http.sh: serves files' bytes from memory, keep-alive.
//   node bench/node_server.mjs PORT URLPATH=FILE [URLPATH=FILE ...]
// When FILE.gz exists it is served, with Content-Encoding: gzip, to a request whose
// Accept-Encoding names gzip (a substring test: enough for a baseline, as nginx's gzip_static).
// Any other path gets 404. Prints "ready" once listening.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';

const [port, ...maps] = process.argv.slice(2);
const routes = new Map();
for (const m of maps) {
  const i = m.indexOf('=');
  const body = fs.readFileSync(m.slice(i + 1));
  const etag = `"${crypto.createHash('sha1').update(body).digest('hex').slice(0, 16)}"`;
  const gzFile = m.slice(i + 1) + '.gz';
  const gz = fs.existsSync(gzFile) ? fs.readFileSync(gzFile) : null;
  const vary = gz ? { Vary: 'Accept-Encoding' } : {};
  routes.set(m.slice(0, i), {
    body,
    headers: { 'Content-Type': 'application/json', 'Content-Length': body.length, ETag: etag, 'Cache-Control': 'no-cache', ...vary },
    gz,
    gzHeaders: gz && { 'Content-Type': 'application/json', 'Content-Length': gz.length, ETag: etag, 'Cache-Control': 'no-cache', 'Content-Encoding': 'gzip', ...vary },
  });
}

const server = http.createServer((req, res) => {
  const q = req.url.indexOf('?');
  const r = routes.get(q < 0 ? req.url : req.url.slice(0, q));
  if (!r) {
    res.writeHead(404, { 'Content-Length': 0 });
    res.end();
    return;
  }
  if (r.gz && (req.headers['accept-encoding'] || '').includes('gzip')) {
    res.writeHead(200, r.gzHeaders);
    res.end(r.gz);
    return;
  }
  res.writeHead(200, r.headers);
  res.end(r.body);
});
server.keepAliveTimeout = 60000;
server.headersTimeout = 65000;
server.requestTimeout = 0;
server.maxRequestsPerSocket = 0;
server.listen({ port: Number(port), host: '127.0.0.1', backlog: 4096 }, () => console.log('ready'));
process.on('SIGTERM', () => process.exit(0));
