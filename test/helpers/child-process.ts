// Runs Mailroom as a real child process (npm start's entry point) so tests can
// SIGKILL or SIGTERM it like an operator or the kernel would.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');

export interface MailroomProcess {
  child: ChildProcess;
  smtpPort: number;
  httpPort: number;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `node --import tsx src/main.ts` on loopback with the given environment on top of the defaults. */
function launch(env: Record<string, string>): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/main.ts')], {
    cwd: ROOT,
    env: {
      ...process.env,
      MAILROOM_CONFIG: path.join(ROOT, 'config/mailroom.yaml'),
      MAILROOM_SMTP_HOST: '127.0.0.1',
      MAILROOM_HTTP_HOST: '127.0.0.1',
      MAILROOM_DOMAINS: 'mailroom.test',
      // No scheduled prune in the middle of a test (see mailroom.ts).
      MAILROOM_RETENTION_SCHEDULE: 'off',
      // No capture listener on the fixed 2587 that parallel tests would fight over (issue 12).
      MAILROOM_CAPTURE_PORT: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  return { child, output: () => out };
}

export function spawnMailroom(dataDir: string, env: Record<string, string> = {}): Promise<MailroomProcess> {
  const { child, output } = launch({ MAILROOM_DATA_DIR: dataDir, MAILROOM_SMTP_PORT: '0', MAILROOM_HTTP_PORT: '0', MAILROOM_LOG_LEVEL: 'info', ...env });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`mailroom did not start:\n${output()}`)), 30_000);
    const onData = () => {
      for (const line of output().split('\n')) {
        if (!line.includes('mailroom started')) continue;
        const rec = JSON.parse(line);
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        resolve({ child, smtpPort: rec.smtp, httpPort: rec.http, output, exited });
        return;
      }
    };
    child.stdout!.on('data', onData);
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`mailroom exited with ${code} before starting:\n${output()}`));
    });
  });
}

/** A TCP port that was free a moment ago (for tests that must name a port up front). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Runs Mailroom with the given environment until `run` is done, and returns everything it logged. */
export async function withMailroomProcess(env: Record<string, string>, run: (ports: { smtp: number; http: number }) => Promise<void>): Promise<string> {
  const smtp = await freePort();
  const http = await freePort();
  const { child, output } = launch({ MAILROOM_SMTP_PORT: String(smtp), MAILROOM_HTTP_PORT: String(http), ...env });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        if ((await fetch(`http://127.0.0.1:${http}/healthz`)).ok) break;
      } catch {
        /* not up yet */
      }
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`mailroom did not start:\n${output()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    await run({ smtp, http });
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
  return output();
}
