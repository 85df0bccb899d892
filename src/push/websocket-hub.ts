// Mailsac's websocket on the HTTP port (issue 11; GUIDE "Contracts"):
//   ws://host:8080/incoming-messages?key=<API key>&addresses=a@x,b@x,x.test
// First frame {"status":200,"msg":"Listening","addresses":[...],"domains":[...]};
// a refusal is one frame with status != 200 and an `error`, then the close;
// then one frame per ready message: the message flat plus `status: 200` and
// an `email` property holding the same object (both documented shapes).
//
// Guards: a browser's Origin must be this site's (cross-site websocket
// hijacking), connections are limited per client address and per key, pings
// find dead peers, a reader that lets frames pile up past
// websocket.maxBufferedBytes is dropped instead of buffered without bound,
// and a key revoked while connected closes its sockets within a second.
import type { IncomingMessage, Server } from 'node:http';
import type { EngineStore } from '../store/engine-store.js';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { ReadyNotice } from '../ingest/ready-events.js';
import { canonicalAddress, canonicalDomain } from '../policy/address.js';
import { isAdmin, principalForKey, type Principal } from '../http/middleware/principal.js';
import { mayReadCaptured } from '../store/messages.js';
import { limiterFor } from '../http/middleware/rate-limit.js';
import { domainWatchRefusal, watchRefusal } from './watch-access.js';
import { payloadOf } from './message-payload.js';

export const WEBSOCKET_PATH = '/incoming-messages';
/** Addresses and domains one socket may list. */
const MAX_WATCHED = 100;
const REVOCATION_CHECK_MS = 1000;

interface Client {
  ws: WebSocket;
  ip: string;
  principal: Extract<Principal, { kind: 'user' }>;
  /** Counts connections per key: the key id, or the admin key. */
  keyName: string;
  addresses: Set<string>;
  domains: Set<string>;
  alive: boolean;
}

export interface HubOptions {
  config: Config;
  store: EngineStore;
  log: Logger;
}

export class WebsocketHub {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 4096, clientTracking: false });
  private readonly clients = new Set<Client>();
  private readonly perIp = new Map<string, number>();
  private readonly perKey = new Map<string, number>();
  private readonly timers: NodeJS.Timeout[] = [];
  /** Frames sent and slow readers dropped since start (health, bench). */
  readonly stats = { frames: 0, droppedSlow: 0, refused: 0 };

  constructor(private readonly opts: HubOptions) {
    const ping = setInterval(() => this.ping(), opts.config.websocket.pingIntervalMs);
    const revoke = setInterval(() => void this.checkRevoked(), REVOCATION_CHECK_MS);
    ping.unref();
    revoke.unref();
    this.timers.push(ping, revoke);
  }

  get connections(): number {
    return this.clients.size;
  }

  attach(server: Server): void {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head));
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== WEBSOCKET_PATH) return refuseHttp(socket, 404, 'Not Found');
    if (!originAllowed(req.headers.origin, req.headers.host, this.opts.config.http.publicUrl)) {
      this.stats.refused++;
      return refuseHttp(socket, 403, 'Forbidden');
    }
    const ip = (req.socket.remoteAddress ?? 'unknown').replace(/^::ffff:/, '');
    if ((this.perIp.get(ip) ?? 0) >= this.opts.config.websocket.maxConnectionsPerIp) {
      this.stats.refused++;
      return refuseHttp(socket, 429, 'Too Many Requests');
    }
    bump(this.perIp, ip, 1);
    socket.once('close', () => bump(this.perIp, ip, -1));
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      // A failed key lookup (the store gone at shutdown) ends this socket, not the process.
      this.onConnection(ws, req, url, ip).catch(() => ws.terminate());
    });
  }

  private async onConnection(ws: WebSocket, req: IncomingMessage, url: URL, ip: string): Promise<void> {
    ws.on('error', () => ws.terminate());
    const { store, config } = this.opts;
    const limiter = limiterFor(store);
    if (await limiter.blocked(ip)) return this.refuse(ws, 429, 'Too many failed attempts; try again in a minute');
    const key = url.searchParams.get('key') || url.searchParams.get('_mailsacKey') || headerOf(req, 'mailsac-key');
    const p = await principalForKey(store, config, key || undefined);
    // Closed while the key was looked up: nothing to register (its close handler would never run).
    if (ws.readyState !== ws.OPEN) return;
    if (p.kind !== 'user') {
      if (p.badKey) await limiter.fail(ip);
      return this.refuse(ws, 401, p.badKey ? 'Invalid API key' : 'An API key is required: add key=<your API key> to the URL');
    }
    const wanted = (url.searchParams.get('addresses') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    if (!wanted.length) return this.refuse(ws, 400, 'addresses must list at least one address or domain (addresses=a@example.com,example.com)');
    if (wanted.length > MAX_WATCHED) return this.refuse(ws, 400, `at most ${MAX_WATCHED} addresses and domains per socket`);
    const addresses = new Set<string>();
    const domains = new Set<string>();
    for (const w of wanted) {
      if (w.includes('@')) {
        const a = canonicalAddress(w);
        if (!a) return this.refuse(ws, 400, `not an email address: ${w}`);
        const why = await watchRefusal({ store, config }, a.inbox, p);
        if (why) return this.refuse(ws, 403, `${a.inbox}: ${why}`);
        addresses.add(a.inbox);
      } else {
        const d = canonicalDomain(w);
        if (!d) return this.refuse(ws, 400, `Mailroom does not receive mail for ${w}`);
        const why = await domainWatchRefusal({ store, config }, d, p);
        if (why) return this.refuse(ws, why.status, why.error);
        // Only the domain's inboxes this key may watch are pushed, judged per message.
        domains.add(d);
      }
    }
    // Closed while the addresses were judged: nothing to register, as above.
    if (ws.readyState !== ws.OPEN) return;
    const keyName = p.via === 'admin-key' ? 'admin-key' : `key:${p.keyId ?? 'session'}`;
    if ((this.perKey.get(keyName) ?? 0) >= config.websocket.maxConnectionsPerKey) {
      return this.refuse(ws, 429, `at most ${config.websocket.maxConnectionsPerKey} sockets per API key`);
    }
    bump(this.perKey, keyName, 1);
    const client: Client = { ws, ip, principal: p, keyName, addresses, domains, alive: true };
    this.clients.add(client);
    ws.on('pong', () => (client.alive = true));
    ws.on('close', () => {
      if (this.clients.delete(client)) bump(this.perKey, keyName, -1);
    });
    ws.send(JSON.stringify({ status: 200, msg: 'Listening', addresses: [...addresses], domains: [...domains] }));
  }

  private refuse(ws: WebSocket, status: number, error: string): void {
    this.stats.refused++;
    ws.send(JSON.stringify({ status, error }));
    ws.close(status === 429 ? 1013 : 1008, error.slice(0, 100));
  }

  /**
   * Sends a ready message to every socket watching one of its inboxes that
   * may read it. The message is read asynchronously (store.reader), so
   * notices are handled one after another: frames keep the order of the events.
   */
  publish(notice: ReadyNotice): void {
    if (!this.clients.size) return;
    this.publishing = this.publishing
      .then(() => this.publishNow(notice))
      .catch(async (err) => {
        // A store closed under a notice in flight is the process stopping, not a failure.
        if (await storeAnswers(this.opts.store)) this.opts.log.error({ err: { message: (err as Error).message } }, 'websocket publish failed');
      });
  }

  private publishing = Promise.resolve();

  private async publishNow(notice: ReadyNotice): Promise<void> {
    if (!this.clients.size) return;
    const { store, config } = this.opts;
    for (const copy of notice.copies) {
      let frame: string | null | undefined;
      const verdicts = new Map<number, boolean>();
      for (const c of this.clients) {
        if (!c.addresses.has(copy.inbox) && !c.domains.has(copy.domain)) continue;
        // Captured mail is its capturer's and the admins' alone (issue 12), whoever else may watch the inbox.
        if (!mayReadCaptured({ capturedBy: copy.capturedBy ?? null }, { userId: c.principal.user.id, admin: isAdmin(c.principal) })) continue;
        // Judged again for every message: the address may have been reserved,
        // released or had enablews turned off since the socket opened.
        const uid = c.principal.user.id;
        let ok = verdicts.get(uid);
        if (ok === undefined) verdicts.set(uid, (ok = (await watchRefusal({ store, config }, copy.inbox, c.principal)) === null));
        if (!ok) continue;
        if (frame === undefined) {
          const m = await store.reader.get(copy.id);
          if (!m) frame = null;
          else {
            const payload = await payloadOf(store, config, m);
            frame = JSON.stringify({ ...payload, status: 200, email: payload });
          }
        }
        if (frame === null) break; // deleted before it was pushed
        this.send(c, frame);
      }
    }
  }

  private send(c: Client, frame: string): void {
    if (c.ws.readyState !== c.ws.OPEN) return;
    // What is still waiting from earlier frames decides; one large message alone never does.
    if (c.ws.bufferedAmount > this.opts.config.websocket.maxBufferedBytes) {
      this.stats.droppedSlow++;
      this.opts.log.info({ ip: c.ip, buffered: c.ws.bufferedAmount }, 'websocket reader too slow: dropped');
      c.ws.terminate();
      return;
    }
    this.stats.frames++;
    c.ws.send(frame);
  }

  private ping(): void {
    for (const c of this.clients) {
      if (!c.alive) {
        c.ws.terminate();
        continue;
      }
      c.alive = false;
      c.ws.ping();
    }
  }

  /** A revocation check in flight: the next tick skips rather than pile checks up behind a slow store. */
  private checking = false;

  /** Sockets of a revoked key (or a removed user) get an error frame and are closed. */
  private async checkRevoked(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    const { store } = this.opts;
    try {
      const verdict = new Map<string, boolean>();
      for (const c of [...this.clients]) {
        const p = c.principal;
        let revoked = verdict.get(c.keyName);
        if (revoked === undefined) {
          if (!(await storeAnswers(store))) return; // closed: the process is stopping
          const [user, key] = await Promise.all([
            store.data.users.byId(p.user.id),
            p.via === 'key' && p.keyId !== undefined ? store.data.keys.byId(p.keyId) : undefined,
          ]);
          const keyGone = key === null || (key !== undefined && key.revoked !== null);
          verdict.set(c.keyName, (revoked = user === null || keyGone));
        }
        // Closed meanwhile (the lookups are asynchronous): nothing left to refuse.
        if (revoked && this.clients.has(c)) this.refuse(c.ws, 401, 'API key revoked');
      }
    } catch (err) {
      // A store closed under the check is the process stopping, not a failure.
      if (await storeAnswers(store)) this.opts.log.error({ err: { message: (err as Error).message } }, 'websocket revocation check failed');
    } finally {
      this.checking = false;
    }
  }

  /** Closes every socket (shutdown: 1001 going away) and stops the timers. */
  close(): void {
    this.timers.forEach(clearInterval);
    for (const c of this.clients) c.ws.close(1001, 'server shutting down');
    // Sockets that do not answer the close handshake go when the HTTP server closes.
    setTimeout(() => this.clients.forEach((c) => c.ws.terminate()), 1000).unref();
    this.wss.close();
  }
}

function bump(map: Map<string, number>, k: string, by: number): void {
  const n = (map.get(k) ?? 0) + by;
  if (n <= 0) map.delete(k);
  else map.set(k, n);
}

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * No Origin: not a browser (browsers always send it on websockets), so
 * nothing to hijack. With one, it must be this site: http.publicUrl's origin,
 * or the host the browser connected to (the Host header).
 */
export function originAllowed(origin: string | undefined, host: string | undefined, publicUrl: string): boolean {
  if (origin === undefined) return true;
  let o: URL;
  try {
    o = new URL(origin);
  } catch {
    return false;
  }
  if (publicUrl && o.origin === new URL(publicUrl).origin) return true;
  return host !== undefined && (o.protocol === 'http:' || o.protocol === 'https:') && o.host.toLowerCase() === host.toLowerCase();
}

function refuseHttp(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${text.length}\r\n\r\n${text}`);
}

/** Whether the store still answers: false once it is closed (the process stopping). */
async function storeAnswers(store: EngineStore): Promise<boolean> {
  try {
    return await store.ping();
  } catch {
    return false;
  }
}
