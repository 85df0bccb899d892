// The SMTP receiver: smtp-server wired to a listener role (mx-role.ts, the
// MX port; capture-role.ts, Email Capture) and the store. What every listener
// shares lives here once: the connection guard, size limit, DATA budget,
// durable ingest and the Received: trace header (issue 12).
// Every reply that refuses something carries its RFC 3463 enhanced code in the
// text, because smtp-server's automatic codes are keyed on the reply code alone
// (550 would always read 5.1.1) and cannot say 5.7.1 "relaying denied".
import { SMTPServer, type SMTPServerAddress, type SMTPServerSession, type SMTPServerDataStream } from 'smtp-server';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import type { AddressInfo } from 'node:net';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { contentFields } from '../log.js';
import type { IncomingMessage, IncomingRecipient, StoredIds } from '../store/messages.js';
import { countReceivedHeaders, receivedHeader } from './trace.js';
import { SmtpError } from './smtp-error.js';
import type { ListenerRole } from './listener-role.js';
import { mxRole } from './mx-role.js';
import { ConnectionGuard, type GuardCounters } from './connection-guard.js';
import { DiskSpaceCheck } from './disk-space.js';
import { GreetPauseMemory, installGreetPause } from './greet-pause.js';
import { DataBudget } from './data-budget.js';
import { coalesceReplies } from './reply-coalescing.js';
import { BACKLOG_REFUSAL, BacklogGate, type Waiter } from './backlog-gate.js';
import { parsePoolSize } from '../jobs/parse-pool.js';

export interface ReceiverDeps {
  config: Config;
  /** Durably stores one message; resolves only once it is committed. */
  ingest: (message: IncomingMessage) => Promise<StoredIds>;
  log: Logger;
  /**
   * Whether an account owns this canonical inbox. Needed only when unowned
   * addresses are refused at RCPT (privacy.publicInboxes false with
   * privacy.unownedHandling "reject"); main.ts passes the store's lookup
   * (receiver-ownership.ts). These lookups may answer with a promise: RCPT is
   * answered once it settles.
   */
  isOwned?: (inbox: string) => boolean | Promise<boolean>;
  /** What this listener is; the MX role when absent. */
  role?: ListenerRole;
  /**
   * The certificate STARTTLS offers (tls-certificate.ts: configured, or
   * self-signed in the data directory); absent: smtp.tls files if set, else no STARTTLS.
   */
  tls?: TlsCredentials | null;
  /** The listen address; smtp.host/smtp.port when absent. */
  port?: number;
  host?: string;
  /** A domain an account added and verified (issue 12): its mail is accepted like a config domain's. */
  acceptsDomain?: (domain: string) => boolean | Promise<boolean>;
  /** The catch-all inbox (`*@domain`) of a verified account domain that has one on, else null. */
  catchAllFor?: (domain: string) => string | null | Promise<string | null>;
  /** Acknowledged messages not yet ready (issue 16 back-pressure, backlog-gate.ts); absent: no bound. */
  pendingMessages?: () => number;
  /** Of those, the ones not handed to a parse worker yet (being stored, or queued): what smtp.maxPendingSeconds bounds. */
  queuedMessages?: () => number;
  /**
   * Subscribes to the writer's backlog reports, each with how many messages
   * were made ready since the last: they wake held replies and measure the
   * processing rate. Absent: a message past the bound gets 451 at once.
   */
  watchBacklog?: (listener: (madeReady: number) => void) => void;
}

/**
 * The least bound on the queue for the parse workers, per worker: enough
 * that the queue does not run dry while the next messages wait for their
 * group commit, before the rate is measured or when it is low.
 */
export const BACKLOG_FLOOR_PER_WORKER = 8;

export interface TlsCredentials {
  key: Buffer | string;
  cert: Buffer | string;
}

/** RFC 8996 retires TLS 1.0 and 1.1; smtp-server's default still allows TLS 1.0. */
export const MIN_TLS_VERSION = 'TLSv1.2';

/** RFC 5321 6.3 suggests 100 hops as the loop threshold. */
const MAX_RECEIVED_HEADERS = 100;

export { SmtpError };

interface LiveConnection {
  session: SMTPServerSession;
  remoteAddress: string;
  remotePort: number;
  send(code: number, message: string): void;
  close(): void;
}

interface SessionState {
  recipients: IncomingRecipient[];
  inData: boolean;
}

export interface ReceiverStats extends GuardCounters {
  accepted: number;
  rejectedRecipients: number;
  tooBig: number;
  storageErrors: number;
  loops: number;
  diskFloor: number;
  /** Transactions told 452 4.3.1 because smtp.maxDataBytesInFlight was reached. */
  dataBudgetFull: number;
  /** DATA bytes held right now across all sessions. */
  dataBytesInFlight: number;
  /** Messages told 451 4.3.0: the backlog stayed over its bound for smtp.maxPendingWaitSeconds. */
  backlogFull: number;
  /** Replies to a final dot held right now until the backlog falls under its bound. */
  backlogHeld: number;
  /** Messages whose reply was held and that were then stored. */
  backlogWaited: number;
  /** The backlog allowed now (backlog-gate.ts); null: no bound. */
  backlogBound: number | null;
  /** Messages made ready per second, as the bound measures it. */
  processingRate: number;
}

export class SmtpReceiver {
  readonly server: SMTPServer;
  private readonly counts = { accepted: 0, rejectedRecipients: 0, tooBig: 0, storageErrors: 0, loops: 0, diskFloor: 0, dataBudgetFull: 0 };
  private readonly dataBudget: DataBudget;
  private readonly backlog: BacklogGate;
  /** Replies held by the backlog gate, by session id (cancelled when the client goes away). */
  private readonly heldReplies = new Map<string, Waiter>();
  /** DATA bytes each session holds against the budget, by session id. */
  private readonly heldBytes = new Map<string, number>();
  private readonly sessions = new Map<string, SessionState>();
  /** Sessions admitted by the guard, by session id, with the IP they count against. */
  private readonly admitted = new Map<string, string>();
  private readonly guard: ConnectionGuard;
  private readonly disk: DiskSpaceCheck;
  private readonly greetPause: GreetPauseMemory;
  private closing = false;
  private listening = false;
  readonly role: ListenerRole;

  constructor(private readonly deps: ReceiverDeps) {
    const { config } = deps;
    const smtp = config.smtp;
    this.guard = new ConnectionGuard(smtp, (key, socket, message) => this.hangUp(key, socket, message));
    this.disk = new DiskSpaceCheck(config.storage.dataDir, smtp.minFreeDiskBytes);
    this.dataBudget = new DataBudget(smtp.maxDataBytesInFlight);
    this.backlog = new BacklogGate({
      maxMessages: deps.pendingMessages ? smtp.maxPendingMessages : 0,
      maxSeconds: smtp.maxPendingSeconds,
      // Without reports nothing would wake a held reply: refuse at once instead.
      // smtp-server drops a session idle for socketTimeoutMs: the reply must come well before.
      maxWaitMs: deps.watchBacklog ? Math.min(smtp.maxPendingWaitSeconds * 1000, smtp.socketTimeoutMs / 2) : 0,
      floor: BACKLOG_FLOOR_PER_WORKER * parsePoolSize(),
      pending: deps.pendingMessages ?? (() => 0),
      queued: deps.queuedMessages,
    });
    deps.watchBacklog?.((madeReady) => this.backlog.report(madeReady));
    this.greetPause = new GreetPauseMemory(smtp.greetPauseMs, smtp.greetPauseTrustMinutes * 60_000);
    if (!installGreetPause()) deps.log.warn('smtp-server internals changed: using its fixed 100 ms greet pause for every client');
    this.role = deps.role ?? mxRole(config, deps.isOwned, deps.acceptsDomain);
    const tls =
      deps.tls !== undefined ? deps.tls : smtp.tls.cert && smtp.tls.key ? { cert: readFileSync(smtp.tls.cert), key: readFileSync(smtp.tls.key) } : null;
    const roleOptions = this.role.serverOptions();
    const disabled = [...(roleOptions.disabledCommands ?? []), ...(tls ? [] : ['STARTTLS'])];
    this.server = new SMTPServer({
      name: smtp.hostname || os.hostname(),
      banner: 'Mailroom ESMTP ready',
      ...roleOptions,
      disabledCommands: disabled,
      ...(tls ? { ...tls, minVersion: MIN_TLS_VERSION } : {}),
      size: smtp.maxMessageSize,
      // hideSize keeps smtp-server from answering an oversized SIZE= itself with
      // a reply that lacks 5.3.4; onMailFrom does that check (RFC 1870 allows a bare SIZE).
      hideSize: true,
      maxClients: smtp.maxClients,
      socketTimeout: smtp.socketTimeoutMs,
      closeTimeout: smtp.closeTimeoutMs,
      maxCommandLength: smtp.maxCommandLength,
      // Read by greet-pause.ts; smtp-server ignores options it does not know.
      ...({ greetPause: this.greetPause } as object),
      // No reverse DNS: it costs a lookup per connection and leaks nothing useful (issue 2).
      disableReverseLookup: true,
      useXClient: false,
      useXForward: false,
      logger: false,
      onConnect: (session, cb) => this.onConnect(session, cb),
      ...(this.role.onAuth
        ? {
            onAuth: (auth, session, cb) =>
              this.role.onAuth!(auth, session).then(
                (user) => cb(null, { user }),
                (err) => cb(err as Error),
              ),
          }
        : {}),
      // After STARTTLS (and on an implicit-TLS port) smtp-server writes to a
      // TLSSocket it made itself: its replies are coalesced the same way.
      onSecure: (socket, _session, cb) => {
        coalesceReplies(socket as import('node:net').Socket);
        cb();
      },
      onMailFrom: (address, session, cb) => this.onMailFrom(address, session, cb),
      onRcptTo: (address, session, cb) => this.onRcptTo(address.address, session, cb),
      onData: (stream, session, cb) => this.onData(stream, session, cb),
      onClose: (session) => this.onClose(session),
    });
    this.server.server.on('connection', (socket) => {
      // The 250 is written a few ms after the final dot, when the commit lands;
      // with Nagle on, that small write could wait for the client's delayed ACK
      // (~40 ms). Measured: 10,000 messages over 16 connections took 3.9 s
      // with Nagle and 1.2 s without, on a receiver whose store answers at once.
      socket.setNoDelay(true);
      // Implicit TLS (a capture port with secure on): the replies go through the
      // TLS socket smtp-server wraps this one in; nothing to coalesce here.
      if (!roleOptions.secure) coalesceReplies(socket);
      this.guard.watch(socket);
    });
    this.server.on('error', (err) => deps.log.warn({ err: { message: err.message, code: (err as NodeJS.ErrnoException).code } }, 'smtp error'));
  }

  /** A renewed certificate: new connections get it, open ones keep theirs. */
  updateTls(tls: TlsCredentials): void {
    this.server.updateSecureContext({ ...tls, minVersion: MIN_TLS_VERSION });
  }

  listen(port = this.deps.port ?? this.deps.config.smtp.port, host = this.deps.host ?? this.deps.config.smtp.host): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.server.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.server.off('error', onError);
        this.listening = true;
        resolve(this.server.server.address() as AddressInfo);
      });
    });
  }

  get stats(): ReceiverStats {
    const bound = this.backlog.bound();
    return {
      ...this.counts,
      ...this.guard.counters,
      dataBytesInFlight: this.dataBudget.inFlight,
      backlogFull: this.backlog.refused,
      backlogHeld: this.backlog.held,
      backlogWaited: this.backlog.waited,
      backlogBound: Number.isFinite(bound) ? bound : null,
      processingRate: Math.round(this.backlog.processingRate),
    };
  }

  get connections(): number {
    return this.connectionSet().size;
  }

  /**
   * Stops accepting connections and transactions (421), lets messages already
   * in DATA finish and be committed, then closes idle sessions. Resolves when
   * every connection is gone or closeTimeout has passed.
   */
  close(): Promise<void> {
    this.closing = true;
    this.guard.stop();
    // Held replies are decided now, not left to hang: stored (backlog-gate.ts, release()).
    this.backlog.release();
    if (!this.listening) return Promise.resolve();
    this.listening = false;
    for (const c of this.connectionSet()) {
      if (!this.sessions.get(c.session?.id)?.inData) {
        c.send(421, '4.3.2 Service shutting down, try again later');
        c.close();
      }
    }
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private onConnect(session: SMTPServerSession, cb: (err?: Error | null) => void): void {
    if (this.closing) return cb(new SmtpError(421, '4.3.2 Service shutting down, try again later'));
    const refusal = this.guard.admit(session.remoteAddress);
    if (refusal) {
      this.deps.log.info({ session: session.id, code: refusal.code, reason: refusal.message }, 'connection refused');
      return cb(new SmtpError(refusal.code, refusal.message));
    }
    this.admitted.set(session.id, session.remoteAddress);
    cb();
  }

  private onClose(session: SMTPServerSession): void {
    // Gone while its reply was held: not stored, the sender still has it and retries.
    const held = this.heldReplies.get(session.id);
    if (held) {
      this.heldReplies.delete(session.id);
      this.backlog.cancel(held);
    }
    this.sessions.delete(session.id);
    // A client that dropped mid-DATA never reaches the final dot.
    this.releaseData(session.id);
    const ip = this.admitted.get(session.id);
    if (ip !== undefined) {
      this.admitted.delete(session.id);
      this.guard.release(ip);
    }
  }

  private releaseData(sessionId: string): void {
    const held = this.heldBytes.get(sessionId);
    if (held === undefined) return;
    this.heldBytes.delete(sessionId);
    this.dataBudget.release(held);
  }

  /** Ends a session the guard gave up on, with a reply when the session is still talking SMTP. */
  private hangUp(key: string, socket: import('node:net').Socket, message: string): void {
    this.deps.log.info({ peer: key.split('|')[0], reason: message }, 'session cut off');
    for (const c of this.connectionSet()) {
      if (ConnectionGuard.key(c.remoteAddress, c.remotePort) === key) {
        c.send(421, message);
        c.close();
        return;
      }
    }
    socket.destroy();
  }

  private onMailFrom(
    address: SMTPServerAddress,
    session: SMTPServerSession,
    cb: (err?: Error | null) => void,
  ): void {
    if (this.closing) return cb(new SmtpError(421, '4.3.2 Service shutting down, try again later'));
    // Header injection through the envelope (bad-input 27): control characters never reach storage.
    if (/[\u0000-\u001f\u007f]/.test(address.address)) {
      return cb(new SmtpError(501, '5.1.7 Bad sender address syntax'));
    }
    if (this.disk.belowFloor()) {
      this.counts.diskFloor++;
      return cb(new SmtpError(452, '4.3.1 Insufficient system storage, try again later'));
    }
    const declared = address.args && (address.args as Record<string, string>).SIZE ? Number((address.args as Record<string, string>).SIZE) : 0;
    const maxSize = this.role.maxMessageSize(session);
    // RFC 1870 §6.1: a SIZE that does not fit the storage available now is a 452, not a 552.
    if (this.dataBudget.exhausted || (declared > 0 && declared <= maxSize && !this.dataBudget.fits(declared))) {
      this.counts.dataBudgetFull++;
      return cb(new SmtpError(452, '4.3.1 Too much mail in progress, try again later'));
    }
    if (declared > maxSize) {
      this.counts.tooBig++;
      return cb(new SmtpError(552, `5.3.4 Message too big: the limit is ${maxSize} bytes`));
    }
    this.whenAnswered(session, this.role.mailFrom?.(session, declared) ?? null, cb, (refusal) => {
      if (refusal) return cb(refusal);
      this.sessions.set(session.id, { recipients: [], inData: false });
      // A command after the greeting: this client waits its turn, so it skips the pause next time.
      this.greetPause.pass(session.remoteAddress);
      cb();
    });
  }

  /**
   * A role's answer at once, or once its promise settles (a role that asks
   * the store, capture-role.ts). A failed lookup is a temporary refusal: the
   * client tries again, nothing is taken on a guess.
   */
  private whenAnswered<T>(session: SMTPServerSession, answer: T | Promise<T>, cb: (err?: Error | null) => void, then: (value: T) => void): void {
    if (!(answer instanceof Promise)) return then(answer);
    answer.then(then, (err: Error) => {
      this.deps.log.error({ err: { message: err.message }, session: session.id }, 'listener role check failed');
      cb(new SmtpError(451, '4.3.0 Temporary local problem, try again later'));
    });
  }

  /**
   * smtp-server waits for this callback before it reads the next command,
   * pipelined or not, so one session's recipients are decided one at a time
   * even though the lookups (the role's, catchAllFor) answer asynchronously.
   */
  private onRcptTo(rcpt: string, session: SMTPServerSession, cb: (err?: Error | null) => void): void {
    this.recipient(rcpt, session).then(
      (refusal) => cb(refusal),
      (err) => {
        // The store did not answer (a lost database connection): the sender retries later.
        this.deps.log.error({ err: { message: (err as Error).message, code: (err as { code?: string }).code }, session: session.id }, 'recipient lookup failed');
        cb(new SmtpError(451, '4.3.0 Temporary local problem, try again later'));
      },
    );
  }

  /** Takes the recipient into the session's transaction; the refusal, or null when taken. */
  private async recipient(rcpt: string, session: SMTPServerSession): Promise<Error | null> {
    const state = this.sessions.get(session.id) ?? { recipients: [], inData: false };
    this.sessions.set(session.id, state);
    const verdict = await this.role.recipient(rcpt, session);
    if (!verdict.ok) {
      this.counts.rejectedRecipients++;
      return verdict.error;
    }
    const { recipient } = verdict;
    const already = state.recipients.some((r) => r.inbox === recipient.inbox);
    // RFC 5321 4.5.3.1.10: at least 100 recipients must be accepted; past the limit 452 asks the client to retry the rest.
    if (!already && state.recipients.length >= this.deps.config.smtp.maxRecipients) {
      return new SmtpError(452, '4.5.3 Too many recipients');
    }
    // An account domain's catch-all (issue 12): a copy is filed under *@domain too, once per message.
    // Looked up before the recipient is added, so a failed lookup leaves the transaction as it was.
    const catchAll = (await this.deps.catchAllFor?.(recipient.domain)) ?? null;
    if (!already) state.recipients.push(recipient);
    if (catchAll && !state.recipients.some((r) => r.inbox === catchAll)) {
      state.recipients.push({ inbox: catchAll, original: recipient.original, domain: recipient.domain });
    }
    return null;
  }

  private onData(stream: SMTPServerDataStream, session: SMTPServerSession, cb: (err?: Error | null, message?: string) => void): void {
    const state = this.sessions.get(session.id);
    const limit = this.role.maxMessageSize(session);
    let chunks: Buffer[] = [];
    let bytes = 0;
    let overBudget = false;
    const guardKey = ConnectionGuard.key(session.remoteAddress, session.remotePort);
    if (state) state.inData = true;
    this.guard.setInData(guardKey, true);
    // Past the limit the bytes are read and dropped so memory stays bounded,
    // and the answer comes after the final dot (Zone-MTA's size limiter does the same).
    // The same for the budget shared by all sessions: a message that would
    // cross it is drained, what it held is given back, and it gets 452 4.3.1.
    stream.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > limit || overBudget) return;
      if (this.dataBudget.take(chunk.length)) {
        this.heldBytes.set(session.id, (this.heldBytes.get(session.id) ?? 0) + chunk.length);
        chunks.push(chunk);
      } else {
        overBudget = true;
        chunks = [];
        this.releaseData(session.id);
      }
    });
    stream.once('end', () => {
      // The session stays "in DATA" for shutdown purposes until its reply is
      // sent (finish): a 421 between the commit and the 250 would make the
      // sender retry a message that is already stored.
      this.guard.setInData(guardKey, false);
      if (stream.sizeExceeded || bytes > limit) {
        this.counts.tooBig++;
        return this.finish(session, cb, new SmtpError(552, `5.3.4 Message too big: the limit is ${limit} bytes`));
      }
      if (overBudget) {
        this.counts.dataBudgetFull++;
        return this.finish(session, cb, new SmtpError(452, '4.3.1 Too much mail in progress, try again later'));
      }
      // RFC 5321 §4.4: our trace field goes first, written into the same
      // buffer as the message so prepending costs no extra copy. A buffer of
      // its own (not a slice of Node's pool) can be handed to the writer thread without a copy.
      const trace = Buffer.from(this.traceHeader(session, state?.recipients ?? []), 'latin1');
      const raw = Buffer.allocUnsafeSlow(trace.length + bytes);
      let offset = trace.copy(raw, 0);
      for (const c of chunks) offset += c.copy(raw, offset);
      // The chunks are garbage from here: only `raw` is held until the commit (data-budget.ts).
      chunks = [];
      if (countReceivedHeaders(raw) > MAX_RECEIVED_HEADERS) {
        this.counts.loops++;
        return this.finish(session, cb, new SmtpError(554, '5.4.6 Routing loop detected: too many Received headers'));
      }
      // Past the backlog bound the reply waits here (backlog-gate.ts), the
      // bytes still charged to the DATA budget; go() runs once there is room.
      const held = this.backlog.admit((admitted) => {
        this.heldReplies.delete(session.id);
        if (!admitted) return this.finish(session, cb, new SmtpError(BACKLOG_REFUSAL.code, BACKLOG_REFUSAL.message));
        this.store(raw, session, state?.recipients ?? []).then(
          (message) => this.finish(session, cb, null, message),
          (err) => this.finish(session, cb, err),
        );
      });
      if (held) this.heldReplies.set(session.id, held);
    });
  }

  /** Answers the DATA; while shutting down, the session is then closed (SIGTERM: finish, then 421). */
  private finish(session: SMTPServerSession, cb: (err?: Error | null, message?: string) => void, err: Error | null, message?: string): void {
    // Stored (the writer has its own copy) or refused: either way the bytes are no longer ours to hold.
    this.releaseData(session.id);
    const state = this.sessions.get(session.id);
    if (state) state.inData = false;
    if (err) cb(err);
    else cb(null, message);
    if (this.closing) {
      setImmediate(() => {
        for (const c of this.connectionSet()) {
          if (c.session?.id === session.id) {
            c.send(421, '4.3.2 Service shutting down, try again later');
            c.close();
          }
        }
      });
    }
  }

  private traceHeader(session: SMTPServerSession, recipients: IncomingRecipient[]): string {
    const { config } = this.deps;
    const keepHost = config.privacy.storeSenderIp;
    const cipher = session.secure ? ((session as { tlsOptions?: { name?: string; version?: string } }).tlsOptions ?? {}) : {};
    return receivedHeader({
      helo: keepHost ? (session.hostNameAppearsAs ?? '') : '',
      ip: keepHost ? (session.remoteAddress ?? '') : '',
      by: config.smtp.hostname || os.hostname(),
      tlsVersion: session.secure ? (cipher.version ?? 'TLS') : '',
      cipher: cipher.name ?? '',
      authenticated: this.role.authenticated(session),
      recipients: recipients.map((r) => r.original),
      id: `${session.id}.${session.transaction}`,
      date: new Date(),
    });
  }

  /** smtp-server keeps its live connections in a Set it does not type publicly. */
  private connectionSet(): Set<LiveConnection> {
    return (this.server as unknown as { connections: Set<LiveConnection> }).connections;
  }

  private async store(raw: Buffer, session: SMTPServerSession, recipients: IncomingRecipient[]): Promise<string> {
    const { log, config } = this.deps;
    const size = raw.length; // the buffer is handed to the writer thread and is empty afterwards
    const envelopeFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
    let ids: StoredIds;
    try {
      ids = await this.deps.ingest({
        raw,
        mailFrom: envelopeFrom,
        recipients,
        // privacy.storeSenderIp off: the sending host is not kept at all.
        ip: config.privacy.storeSenderIp ? (session.remoteAddress ?? '') : '',
        helo: config.privacy.storeSenderIp ? (session.hostNameAppearsAs ?? '') : '',
        tls: Boolean(session.secure),
        received: Date.now(),
        ...(this.role.stamp?.(session) ?? {}),
      });
    } catch (err) {
      this.counts.storageErrors++;
      const code = (err as { code?: string }).code ?? '';
      log.error({ err: { message: (err as Error).message, code }, session: session.id }, 'message not stored');
      // Generic text: the internal error is for the log, not for strangers (GUIDE, "Durability").
      // SQLite past storage.maxDatabaseBytes; PostgreSQL's disk_full (SQLSTATE 53100).
      if (code === 'SQLITE_FULL' || code === '53100') throw new SmtpError(452, '4.3.1 Insufficient system storage, try again later');
      throw new SmtpError(451, '4.3.0 Temporary local problem, try again later');
    }
    this.counts.accepted++;
    await this.role.stored?.(session, size, ids.messageIds.length);
    log.info(
      { session: session.id, content: ids.contentId, messages: ids.messageIds, bytes: size, ...contentFields(config.log.content, { from: envelopeFrom, to: recipients.map((r) => r.original) }) },
      'message stored',
    );
    return `2.0.0 Ok: stored as ${ids.messageIds[0] ?? ids.contentId}`;
  }
}
