// The certificate both SMTP listeners offer for STARTTLS (issue 12: "STARTTLS
// everywhere by default"). A configured one (smtp.tls.cert/key) is read and
// re-read when its files change, so a renewal (Caddy, certbot) applies
// without a restart; otherwise a self-signed one is made at first start and
// kept in the data directory (key mode 0600), and replaced before it
// expires. Opportunistic STARTTLS between MTAs does not verify certificates
// (RFC 7435), so self-signed is what lets every sender that asks get TLS.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, unwatchFile, watchFile, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { TlsCredentials } from './receiver.js';

/** A self-signed certificate is valid this long... */
const SELF_SIGNED_DAYS = 365;
/** ...and is replaced once fewer than this many days remain. */
const RENEW_BEFORE_DAYS = 30;
const DAY = 86_400_000;

export interface CertificateSource {
  readonly credentials: TlsCredentials;
  /** 'configured' or 'self-signed'. */
  readonly origin: 'configured' | 'self-signed';
  /** Called with the new credentials when the files change or the self-signed one is renewed. */
  onChange(listener: (tls: TlsCredentials) => void): void;
  /** Re-reads or renews now (also runs on a timer); true when the credentials changed. */
  refresh(now?: Date): Promise<boolean>;
  stop(): void;
}

export function selfSignedPaths(dataDir: string): { dir: string; key: string; cert: string } {
  const dir = path.join(dataDir, 'tls');
  return { dir, key: path.join(dir, 'self-signed.key'), cert: path.join(dir, 'self-signed.crt') };
}

/** Whether a PEM certificate stays valid for at least `days` more days. */
export function validFor(certPem: string | Buffer, days: number, now = new Date()): boolean {
  try {
    return Date.parse(new X509Certificate(certPem).validTo) - now.getTime() > days * DAY;
  } catch {
    return false;
  }
}

async function makeSelfSigned(dataDir: string, hostname: string, now: Date, log: Logger): Promise<TlsCredentials> {
  const p = selfSignedPaths(dataDir);
  mkdirSync(p.dir, { recursive: true, mode: 0o700 });
  // Loaded only when a certificate is made (once per data directory): selfsigned
  // and its X.509 libraries are ~3 MB of heap the running server never needs (issue 16, RSS).
  const { generate } = await import('selfsigned');
  const pems = await generate([{ name: 'commonName', value: hostname }], {
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate: new Date(now.getTime() - DAY),
    notAfterDate: new Date(now.getTime() + SELF_SIGNED_DAYS * DAY),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 2, value: hostname }] },
    ],
  });
  // Written beside and renamed, so a crash never leaves a key without its certificate.
  writeFileSync(`${p.key}.tmp`, pems.private, { mode: 0o600 });
  chmodSync(`${p.key}.tmp`, 0o600);
  writeFileSync(`${p.cert}.tmp`, pems.cert, { mode: 0o644 });
  renameSync(`${p.key}.tmp`, p.key);
  renameSync(`${p.cert}.tmp`, p.cert);
  log.info({ cert: p.cert, validTo: new X509Certificate(pems.cert).validTo }, 'self-signed certificate created for STARTTLS');
  return { key: pems.private, cert: pems.cert };
}

/** The self-signed pair in the data directory: reused while valid for RENEW_BEFORE_DAYS more, else made anew. */
export async function selfSignedCertificate(dataDir: string, hostname: string, log: Logger, now = new Date()): Promise<TlsCredentials> {
  const p = selfSignedPaths(dataDir);
  if (existsSync(p.key) && existsSync(p.cert)) {
    const cert = readFileSync(p.cert);
    if (validFor(cert, RENEW_BEFORE_DAYS, now)) return { key: readFileSync(p.key), cert };
  }
  return makeSelfSigned(dataDir, hostname, now, log);
}

export interface CertificateOptions {
  config: Config;
  log: Logger;
  /** How often configured files are checked for changes and the self-signed one for expiry. */
  checkIntervalMs?: number;
}

/** Loads (or makes) the certificate and keeps it current until stop(). */
export async function startCertificateSource(opts: CertificateOptions): Promise<CertificateSource> {
  const { config, log } = opts;
  const interval = opts.checkIntervalMs ?? 60_000;
  const listeners: Array<(tls: TlsCredentials) => void> = [];
  const hostname = config.smtp.hostname || os.hostname();
  const configured = Boolean(config.smtp.tls.cert && config.smtp.tls.key);
  const stamp = () => (configured ? `${statSync(config.smtp.tls.cert).mtimeMs}:${statSync(config.smtp.tls.key).mtimeMs}` : '');
  const readConfigured = (): TlsCredentials => ({ key: readFileSync(config.smtp.tls.key), cert: readFileSync(config.smtp.tls.cert) });

  // A configured pair that is not there yet (the proxy has not obtained it on
  // first start) is waited for: self-signed meanwhile, then the configured
  // one as soon as a check finds it, rather than refusing to start.
  let credentials: TlsCredentials;
  let lastStamp = '';
  if (configured) {
    try {
      lastStamp = stamp();
      credentials = readConfigured();
    } catch (err) {
      log.warn({ err: { message: (err as Error).message }, cert: config.smtp.tls.cert }, 'configured TLS certificate not readable yet; offering a self-signed one until it is');
      lastStamp = '';
      credentials = await selfSignedCertificate(config.storage.dataDir, hostname, log);
    }
  } else {
    credentials = await selfSignedCertificate(config.storage.dataDir, hostname, log);
  }
  const publish = (next: TlsCredentials) => {
    credentials = next;
    for (const l of listeners) l(next);
  };

  const refresh = async (now = new Date()): Promise<boolean> => {
    if (configured) {
      let s: string;
      try {
        s = stamp();
      } catch {
        return false; // mid-rename by the renewing tool: the next check reads it
      }
      if (s === lastStamp) return false;
      let next: TlsCredentials;
      try {
        next = readConfigured();
        // A half-written pair is not handed to TLS: the old one stays until both parse and match.
        const x = new X509Certificate(next.cert);
        if (!x.checkPrivateKey(createPrivateKey(next.key))) throw new Error('key does not match certificate');
      } catch (err) {
        log.warn({ err: { message: (err as Error).message } }, 'configured TLS certificate changed but cannot be used yet; keeping the previous one');
        return false;
      }
      lastStamp = s;
      log.info({ cert: config.smtp.tls.cert }, 'TLS certificate reloaded');
      publish(next);
      return true;
    }
    if (validFor(credentials.cert, RENEW_BEFORE_DAYS, now)) return false;
    publish(await selfSignedCertificate(config.storage.dataDir, hostname, log, now));
    return true;
  };

  // Polling rather than fs.watch: renewals replace files by rename (Caddy,
  // certbot's symlinks), which fs.watch on the old inode misses.
  const onFileChange = () => void refresh();
  if (configured) {
    watchFile(config.smtp.tls.cert, { interval, persistent: false }, onFileChange);
    watchFile(config.smtp.tls.key, { interval, persistent: false }, onFileChange);
  }
  const timer = setInterval(() => void refresh(), configured ? interval : Math.min(interval * 60, DAY));
  timer.unref();

  return {
    get credentials() {
      return credentials;
    },
    origin: configured ? 'configured' : 'self-signed',
    onChange: (l) => void listeners.push(l),
    refresh,
    stop() {
      clearInterval(timer);
      if (configured) {
        unwatchFile(config.smtp.tls.cert, onFileChange);
        unwatchFile(config.smtp.tls.key, onFileChange);
      }
    },
  };
}
