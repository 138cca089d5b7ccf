// A Socket.IO client for tests/integration/stack.sh: connects to the /prices namespace at a base
// URL (nginx in front of the API nodes), subscribes to a race or to every race, and prints one
// line per happening on stdout until it is killed:
//   CONNECTED <transport>            connected (again, after a reconnect)
//   READY                            the server acknowledged the subscription
//   UPGRADED <transport>             Engine.IO switched transport
//   EVENT <epoch_ms> <event json>    an updatePrice event (of `provider` only, when given)
//   DISCONNECTED <reason>
// Usage: node stack_client.mjs <base_url> [race_id|all] [provider]
// Unlike live_client.mjs it has no time limit and reconnects, so it can watch a stack through
// restarts of its servers.
import { io } from 'socket.io-client';

const [base, raceArg = 'all', provider = ''] = process.argv.slice(2);
if (!base) {
  process.stderr.write('usage: node stack_client.mjs <base_url> [race_id|all] [provider]\n');
  process.exit(2);
}
const race = raceArg === 'all' ? 'all' : Number(raceArg);
const out = (s) => process.stdout.write(s + '\n');
const s = io(`${base}/prices`, { path: '/socket.io/', forceNew: true, reconnectionDelayMax: 1000 });
s.on('connect', () => {
  out(`CONNECTED ${s.io.engine.transport.name}`);
  s.io.engine.once('upgrade', (t) => out(`UPGRADED ${t.name}`));
  s.emit('subscribe', { race_id: race }, (ack) => {
    if (!ack || !ack.ok) {
      out(`DISCONNECTED bad-ack ${JSON.stringify(ack)}`);
      process.exit(2);
    }
    out('READY');
  });
});
s.on('updatePrice', (d) => {
  if (!provider || (d && d.provider === provider)) out(`EVENT ${Date.now()} ${JSON.stringify(d)}`);
});
s.on('disconnect', (r) => out(`DISCONNECTED ${r}`));
s.on('connect_error', (e) => out(`DISCONNECTED connect_error ${e.message}`));
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
process.stdout.on('error', () => process.exit(0)); // the reader went away
