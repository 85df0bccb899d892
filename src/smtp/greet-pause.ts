// The greet pause, postscreen-style. smtp-server waits a fixed 100 ms before
// its greeting on every connection and refuses a client that talks during it
// (an "early talker": a bot that does not wait for the server). That wait is
// most of the time of a one-message connection, and real MTAs often send one
// message per connection, so it capped such traffic at ~10 messages/s per
// sender (issue 7). Postfix's postscreen keeps the test but remembers a client
// that passed it (postscreen_greet_ttl) and greets it at once the next time.
// Mailroom does the same: the pause stays for addresses it has not seen wait
// for a greeting recently, and is skipped for those it has.
import { SMTPConnection } from 'smtp-server/lib/smtp-connection.js';

export interface GreetPausePolicy {
  /** Milliseconds of pause for this address; 0 greets at once. */
  pauseFor(remoteAddress: string): number;
}

/** What smtp-server's SMTPConnection.init does, with the pause chosen by policy. */
interface ConnectionInternals {
  remoteAddress: string;
  _server: { options: { maxClients?: number; greetPause?: GreetPausePolicy }; connections: Set<unknown> };
  _setListeners(cb: () => void): void;
  connectionReady(): void;
  send(code: number, message: string, context?: unknown): void;
  name: string;
  init(): void;
}

let installed = false;

/**
 * Makes every SMTPServer created with a `greetPause` option use it. Servers
 * without the option keep smtp-server's own behaviour. Returns false (and
 * changes nothing) if smtp-server's internals are not the shape this was
 * written against (smtp-server 3.21), so an upgrade cannot silently break it.
 */
export function installGreetPause(): boolean {
  if (installed) return true;
  const proto = (SMTPConnection as unknown as { prototype: ConnectionInternals }).prototype;
  if (typeof proto.init !== 'function' || typeof proto._setListeners !== 'function' || typeof proto.connectionReady !== 'function') {
    return false;
  }
  const original = proto.init;
  proto.init = function (this: ConnectionInternals) {
    const policy = this._server.options.greetPause;
    if (!policy) return original.call(this);
    this._setListeners(() => {
      const max = this._server.options.maxClients;
      if (max && this._server.connections.size > max) {
        return this.send(421, this.name + ' Too many connected clients, try again in a moment', false);
      }
      const pause = policy.pauseFor(this.remoteAddress);
      if (pause <= 0) return this.connectionReady();
      // Anything the client sends before connectionReady() is answered
      // "421 You talk too soon" by smtp-server itself.
      setTimeout(() => this.connectionReady(), pause).unref();
    });
  };
  installed = true;
  return true;
}

/** Remembers addresses that waited for the greeting, for `trustMs`. */
export class GreetPauseMemory implements GreetPausePolicy {
  private readonly passed = new Map<string, number>();

  constructor(
    private readonly pauseMs: number,
    private readonly trustMs: number,
    private readonly maxEntries = 100_000,
    private readonly now: () => number = Date.now,
  ) {}

  pauseFor(remoteAddress: string): number {
    const until = this.passed.get(remoteAddress);
    if (until !== undefined && until > this.now()) return 0;
    return this.pauseMs;
  }

  /** The client sent its first command after the greeting: it passed. */
  pass(remoteAddress: string): void {
    if (this.trustMs <= 0) return;
    if (this.passed.size >= this.maxEntries) {
      // Oldest entries first: a Map iterates in insertion order.
      for (const key of this.passed.keys()) {
        this.passed.delete(key);
        if (this.passed.size < this.maxEntries * 0.9) break;
      }
    }
    this.passed.delete(remoteAddress);
    this.passed.set(remoteAddress, this.now() + this.trustMs);
  }
}
