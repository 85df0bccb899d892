// Push figures (issue 11): N websocket listeners on one inbox and M messages
// sent over SMTP; every frame must arrive, latency is from the 250 to each
// listener's frame (p50/p99). Then webhook throughput to a local receiver.
// Mailroom runs as a child process (npm start's entry point), the clients
// here; everything on 127.0.0.1 in a temp directory removed at the end.
// `npm run bench -- --only=push` runs it (scripts/bench.ts), or alone:
//
//   node --import tsx scripts/bench/push.ts [--listeners=100] [--messages=1000] [--webhooks=500]
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { rmSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import nodemailer from 'nodemailer';
import WebSocket from 'ws';
import { spawnMailroom } from '../../test/helpers/child-process.js';
import { tempDir } from '../../test/helpers/temp.js';

const ADMIN_KEY = 'bench-admin-key-0123456789abcdef';

export interface PushBenchOptions {
  listeners: number;
  messages: number;
  webhooks: number;
  log?: (s: string) => void;
}

export interface PushBenchResult {
  listeners: number;
  messages: number;
  frames: number;
  framesWanted: number;
  sendMs: number;
  lastFrameMs: number;
  /** 250 → frame, ms, over every frame received. */
  latency: { p50: number; p99: number; max: number; samples: number };
  /** perSecond: first send to last delivery; drainPerSecond: the queued deliveries after the receiver stopped holding. */
  webhooks: { wanted: number; delivered: number; ms: number; perSecond: number; drained: number; drainMs: number; drainPerSecond: number };
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

export function formatPush(r: PushBenchResult): string {
  const all = (got: number, want: number) => (got === want ? 'all delivered' : `NOT all delivered (${want - got} missing)`);
  return [
    '## Push (issue 11)',
    '',
    `websocket: ${r.listeners} listeners × ${r.messages} messages: ${r.frames}/${r.framesWanted} frames, ${all(r.frames, r.framesWanted)}`,
    `  250 → frame: p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, max ${r.latency.max} ms (${r.latency.samples} frames)`,
    `  SMTP sending took ${r.sendMs} ms; last frame ${r.lastFrameMs} ms after the first send`,
    `webhooks: ${r.webhooks.delivered}/${r.webhooks.wanted} to a local receiver, ${all(r.webhooks.delivered, r.webhooks.wanted)}`,
    `  throughput: ${r.webhooks.drainPerSecond.toFixed(0)} messages/s (${r.webhooks.drained} queued deliveries in ${r.webhooks.drainMs} ms once the receiver answered)`,
    `  end to end: ${r.webhooks.perSecond.toFixed(0)} messages/s (${r.webhooks.ms} ms from the first send to the last delivery; bound by SMTP sending)`,
  ].join('\n');
}

export async function runPushBench(opts: PushBenchOptions): Promise<PushBenchResult> {
  const { listeners: LISTENERS, messages: MESSAGES, webhooks: WEBHOOKS } = opts;
  const log = opts.log ?? ((s: string) => process.stderr.write(`${s}\n`));
  const received: Array<{ at: number }> = [];
  // While sending, the receiver holds its answers: the queue fills up, and
  // once released its drain rate is the delivery throughput, not the SMTP
  // sending rate (which the end-to-end figure is bound by).
  let held: Array<() => void> | null = null;
  const receiver = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const answer = () => {
        received.push({ at: Date.now() });
        res.end('ok');
      };
      if (held) held.push(answer);
      else answer();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const hookPort = (receiver.address() as AddressInfo).port;

  const dataDir = tempDir();
  const proc = await spawnMailroom(dataDir, {
    MAILROOM_ADMIN_KEY: ADMIN_KEY,
    MAILROOM_WEBSOCKET_MAX_CONNECTIONS_PER_KEY: String(LISTENERS + 10),
    MAILROOM_WEBSOCKET_MAX_CONNECTIONS_PER_IP: String(LISTENERS + 10),
    MAILROOM_WEBHOOKS_ALLOW_PRIVATE_NETWORKS: 'true',
    MAILROOM_WEBHOOKS_ALLOWED_PORTS: String(hookPort),
    // Held attempts must not time out while the messages are being sent.
    MAILROOM_WEBHOOKS_TIMEOUT_MS: '300000',
  });
  try {
    // ---------------------------------------------------------------- websocket
    const latencies: number[] = [];
    let frames = 0;
    const sockets: WebSocket[] = [];
    for (let i = 0; i < LISTENERS; i++) {
      const ws = new WebSocket(`ws://127.0.0.1:${proc.httpPort}/incoming-messages?key=${ADMIN_KEY}&addresses=bench@mailroom.test`);
      await new Promise<void>((resolve, reject) => {
        ws.once('message', () => resolve());
        ws.once('error', reject);
      });
      ws.on('message', (data) => {
        const now = Date.now();
        const f = JSON.parse(String(data)) as { subject?: string; received?: string };
        if (!f.subject?.startsWith('push ')) return;
        frames++;
        // `received` is when the server earned the 250 (same clock: all on this machine), so every frame is a sample.
        latencies.push(now - Date.parse(f.received!));
      });
      sockets.push(ws);
    }
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: proc.smtpPort, secure: false, ignoreTLS: true, pool: true, maxConnections: 8, maxMessages: Infinity });
    const started = Date.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < MESSAGES) {
          const n = next++;
          await transport.sendMail({ from: 'a@example.org', to: 'bench@mailroom.test', subject: `push ${n}`, text: 'x'.repeat(500) });
        }
      }),
    );
    const sent = Date.now();
    const want = LISTENERS * MESSAGES;
    const deadline = Date.now() + 120_000;
    while (frames < want && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const done = Date.now();
    latencies.sort((a, b) => a - b);
    log(`  websocket: ${frames}/${want} frames, 250 → frame p50 ${pct(latencies, 50)} ms, p99 ${pct(latencies, 99)} ms`);
    sockets.forEach((s) => s.close());

    // ---------------------------------------------------------------- webhooks
    const api = (method: string, p: string, body?: unknown) =>
      fetch(`http://127.0.0.1:${proc.httpPort}/api${p}`, { method, headers: { 'Mailsac-Key': ADMIN_KEY, 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    await api('POST', '/addresses/hooked@mailroom.test');
    await api('PUT', '/private-address-forwarding/hooked@mailroom.test', { webhook: `http://127.0.0.1:${hookPort}/hook` });
    held = [];
    const hookStart = Date.now();
    next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < WEBHOOKS) {
          const n = next++;
          await transport.sendMail({ from: 'a@example.org', to: 'hooked@mailroom.test', subject: `hook ${n}`, text: 'y'.repeat(500) });
        }
      }),
    );
    const released = Date.now();
    const atRelease = held.length;
    held.splice(0).forEach((a) => a());
    held = null;
    const hookDeadline = Date.now() + 120_000;
    while (received.length < WEBHOOKS && Date.now() < hookDeadline) await new Promise((r) => setTimeout(r, 50));
    const hookMs = (received[received.length - 1]?.at ?? Date.now()) - hookStart;
    const drainMs = (received[received.length - 1]?.at ?? Date.now()) - released;
    const drained = received.length - atRelease;
    log(`  webhooks: ${received.length}/${WEBHOOKS}; after the release ${drained} in ${drainMs} ms`);
    transport.close();
    return {
      listeners: LISTENERS,
      messages: MESSAGES,
      frames,
      framesWanted: want,
      sendMs: sent - started,
      lastFrameMs: done - started,
      latency: { p50: pct(latencies, 50), p99: pct(latencies, 99), max: latencies[latencies.length - 1] ?? NaN, samples: latencies.length },
      webhooks: {
        wanted: WEBHOOKS,
        delivered: received.length,
        ms: hookMs,
        perSecond: (received.length / hookMs) * 1000,
        drained,
        drainMs,
        drainPerSecond: (drained / drainMs) * 1000,
      },
    };
  } finally {
    proc.child.kill('SIGTERM');
    await proc.exited;
    receiver.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = (name: string, def: number) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? def);
  runPushBench({ listeners: arg('listeners', 100), messages: arg('messages', 1000), webhooks: arg('webhooks', 500) }).then(
    (r) => {
      console.log(formatPush(r));
      process.exit(0);
    },
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
