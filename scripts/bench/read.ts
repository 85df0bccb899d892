// Read bench: against a Mailroom child serving a seeded store (either engine:
// the SQLite read table, and bench/pg-read.ts's PostgreSQL node beside a SQLite
// node on the same mail), one request at a time over a keep-alive connection, p50/p99 of the pages and API calls a
// reader makes. Inboxes are drawn with the same Zipf law the mail was spread
// with (readers read busy inboxes more), messages uniformly. A route that
// answers 404 to everything is reported as not there ("n/a (404)") instead of
// failing the run: the API and UI are being built alongside the bench.
import http from 'node:http';
import { Samples, summarize, type Summary } from './stats.js';

export type ReadEndpoint = 'inbox page' | 'message page' | 'API list' | 'search' | 'count';
export const READ_ENDPOINTS: ReadEndpoint[] = ['inbox page', 'message page', 'API list', 'search', 'count'];

export interface EndpointResult {
  endpoint: ReadEndpoint;
  /** null when the route is not there (every answer 404) or failed every time. */
  latency: Summary | null;
  statuses: Record<number, number>;
  note: string;
  example: string;
}

export interface ReadSample {
  inbox: () => string;
  message: () => { inbox: string; id: string };
  queries: string[];
}

function get(agent: http.Agent, port: number, path: string, headers: Record<string, string>): Promise<{ status: number; ms: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const req = http.request({ host: '127.0.0.1', port, path, agent, headers }, (res) => {
      let bytes = 0;
      res.on('data', (d: Buffer) => (bytes += d.length));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: Number(process.hrtime.bigint() - t0) / 1e6, bytes }));
      res.on('error', reject);
    });
    req.setTimeout(30_000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

export function pathFor(endpoint: ReadEndpoint, s: ReadSample, q: number): string {
  const e = encodeURIComponent;
  switch (endpoint) {
    case 'inbox page':
      return `/inbox/${e(s.inbox())}`;
    case 'message page': {
      const m = s.message();
      return `/inbox/${e(m.inbox)}/${e(m.id)}`;
    }
    case 'API list':
      return `/api/addresses/${e(s.inbox())}/messages`;
    case 'search':
      return `/api/inbox-search?query=${e(s.queries[q % s.queries.length])}`;
    case 'count':
      return `/api/addresses/${e(s.inbox())}/message-count`;
  }
}

/** One endpoint's figures as a log line. */
export function describeEndpoint(e: EndpointResult): string {
  const lat = e.latency ? `p50 ${e.latency.p50.toFixed(2)} ms, p99 ${e.latency.p99.toFixed(2)} ms (${e.latency.count})` : e.note;
  return `${e.endpoint}: ${lat}${e.latency && e.note ? ` ${e.note}` : ''}`;
}

/** target: a TargetProcess serving HTTP (the bench's child), or anything else with the port. */
export async function runReadBench(target: { httpPort: number | null }, sample: ReadSample, opts: { requests: number; adminKey: string; maxMsPerEndpoint?: number }): Promise<EndpointResult[]> {
  const port = target.httpPort;
  if (!port) throw new Error('target has no HTTP port');
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const headers = { 'Mailsac-Key': opts.adminKey, Accept: 'text/html,application/json' };
  const out: EndpointResult[] = [];
  try {
    for (const endpoint of READ_ENDPOINTS) {
      const samples = new Samples();
      const statuses: Record<number, number> = {};
      let errors = 0;
      let example = '';
      const warm = Math.min(10, Math.ceil(opts.requests / 10));
      // A slow endpoint gets fewer requests (at least 20) so the run stays bounded.
      const deadline = performance.now() + (opts.maxMsPerEndpoint ?? 20_000);
      for (let i = 0; i < warm + opts.requests; i++) {
        if (i >= warm + 20 && performance.now() > deadline) break;
        const path = pathFor(endpoint, sample, i);
        if (!example) example = path;
        try {
          const r = await get(agent, port, path, headers);
          if (i < warm) continue;
          statuses[r.status] = (statuses[r.status] ?? 0) + 1;
          if (r.status === 200) samples.push(r.ms);
        } catch {
          errors++;
        }
        // A missing route answers the same way every time: no need to ask a hundred times.
        if (i === warm + 4 && samples.length === 0) break;
      }
      const codes = Object.keys(statuses).map(Number);
      let note = '';
      if (samples.length === 0) note = codes.length === 1 ? `n/a (${codes[0]})` : codes.length ? `n/a (${codes.join('/')})` : `n/a (${errors} errors)`;
      else if (codes.some((c) => c !== 200)) note = `non-200: ${codes.filter((c) => c !== 200).map((c) => `${c}×${statuses[c]}`).join(' ')}`;
      out.push({ endpoint, latency: samples.length ? summarize(samples.values()) : null, statuses, note, example });
    }
  } finally {
    agent.destroy();
  }
  return out;
}
