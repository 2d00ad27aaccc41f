import { it } from 'vitest';
import { randomScenario } from './link-sim.js';
it('dbg', () => {
  const seed = Number(process.env.SEED ?? 10005);
  const { sim, clientData, serverData, faults, clientCfg, serverCfg } = randomScenario(seed, Number(process.env.MAXB ?? 300000));
  console.log(JSON.stringify({ faults, clientCfg, serverCfg }));
  const lines: string[] = [];
  if (process.env.TRACE) sim.trace = (l) => lines.push(l);
  const r = sim.run(Number(process.env.LIMIT ?? 1800000));
  const s = sim as any;
  console.log(r.now, r.segments, r.clientReason, r.serverReason, r.clientReceived.length, serverData.length, r.serverReceived.length, clientData.length);
  console.log('client', s.client.conn?.info(), s.client.conn?.timers);
  console.log('server', s.server.conn?.info(), s.server.conn?.timers);
  require("fs").writeFileSync("/tmp/trace.txt", lines.join("\n"));
});
