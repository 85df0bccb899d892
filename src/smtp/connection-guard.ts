// Abuse controls a public MX needs beyond what smtp-server does by itself
// (bad-inputs 22-24): connections and connection rate per IP, a deadline for
// the whole session, and a minimum data rate while the client owes us bytes.
// smtp-server's socketTimeout is an idle timer, so a client that trickles one
// byte a second (slowloris) would otherwise hold a slot forever.
import type { Socket } from 'node:net';

export interface GuardLimits {
  maxConnectionsPerIp: number;
  connectionsPerIpPerMinute: number;
  sessionTimeoutMs: number;
  /** Bytes per second a client must sustain while it is mid-line or in DATA. */
  minDataRate: number;
  /** How long the rate is measured over before a slow client is cut off. */
  dataRateWindowMs: number;
}

export interface GuardCounters {
  refusedPerIp: number;
  refusedRate: number;
  sessionDeadline: number;
  tooSlow: number;
}

interface Tracked {
  socket: Socket;
  key: string;
  started: number;
  windowStart: number;
  windowBytes: number;
  /** The last chunk did not end a line: the client is in the middle of sending one. */
  midLine: boolean;
}

export type Refusal = { code: number; message: string };

export class ConnectionGuard {
  readonly counters: GuardCounters = { refusedPerIp: 0, refusedRate: 0, sessionDeadline: 0, tooSlow: 0 };
  private readonly active = new Map<string, number>();
  private readonly recent = new Map<string, number[]>();
  private readonly sockets = new Map<string, Tracked>();
  private readonly inData = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly limits: GuardLimits,
    /** Ends one session with a reply; falls back to destroying the socket. */
    private readonly hangUp: (key: string, socket: Socket, message: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  static key(address: string | undefined, port: number | undefined): string {
    return `${address ?? ''}|${port ?? 0}`;
  }

  /** Decides at connect time; every admitted connection must be released once. */
  admit(ip: string): Refusal | null {
    const t = this.now();
    const times = (this.recent.get(ip) ?? []).filter((x) => t - x < 60_000);
    this.recent.set(ip, times);
    // Only admitted connections count towards the rate: a sender that keeps
    // retrying while refused is let in again once its accepted ones age out,
    // instead of being locked out for as long as it retries.
    if (times.length >= this.limits.connectionsPerIpPerMinute) {
      this.counters.refusedRate++;
      return { code: 421, message: '4.7.0 Too many connections from your address in the last minute, try again later' };
    }
    const n = this.active.get(ip) ?? 0;
    if (n >= this.limits.maxConnectionsPerIp) {
      this.counters.refusedPerIp++;
      return { code: 421, message: '4.7.0 Too many concurrent connections from your address, try again later' };
    }
    times.push(t);
    this.active.set(ip, n + 1);
    return null;
  }

  release(ip: string): void {
    const n = (this.active.get(ip) ?? 1) - 1;
    if (n <= 0) this.active.delete(ip);
    else this.active.set(ip, n);
  }

  /** Watches a raw socket's byte flow for the deadline and rate rules. */
  watch(socket: Socket): void {
    const key = ConnectionGuard.key(socket.remoteAddress, socket.remotePort);
    const t = this.now();
    const tracked: Tracked = { socket, key, started: t, windowStart: t, windowBytes: 0, midLine: false };
    this.sockets.set(key, tracked);
    socket.on('data', (d: Buffer) => {
      tracked.windowBytes += d.length;
      tracked.midLine = d.length > 0 && d[d.length - 1] !== 0x0a;
    });
    socket.once('close', () => {
      this.sockets.delete(key);
      this.inData.delete(key);
    });
    this.timer ??= setInterval(() => this.sweep(), 1000).unref();
  }

  setInData(key: string, inData: boolean): void {
    if (inData) this.inData.add(key);
    else this.inData.delete(key);
  }

  /** Also called directly by tests with a fake clock. */
  sweep(): void {
    const t = this.now();
    for (const s of this.sockets.values()) {
      if (t - s.started > this.limits.sessionTimeoutMs) {
        this.counters.sessionDeadline++;
        this.forget(s);
        this.hangUp(s.key, s.socket, '4.4.2 Session time limit reached, closing connection');
        continue;
      }
      const elapsed = t - s.windowStart;
      if (elapsed < this.limits.dataRateWindowMs) continue;
      const owing = s.midLine || this.inData.has(s.key);
      const rate = (s.windowBytes * 1000) / elapsed;
      if (owing && rate < this.limits.minDataRate) {
        this.counters.tooSlow++;
        this.forget(s);
        this.hangUp(s.key, s.socket, '4.4.2 Data rate too low, closing connection');
        continue;
      }
      s.windowStart = t;
      s.windowBytes = 0;
    }
    if (!this.sockets.size && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
    // Forget rate history of addresses that have been quiet for a minute.
    for (const [ip, times] of this.recent) if (!times.some((x) => t - x < 60_000)) this.recent.delete(ip);
  }

  private forget(s: Tracked): void {
    this.sockets.delete(s.key);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
