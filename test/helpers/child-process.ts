// Runs Mailroom as a real child process (npm start's entry point) so tests can
// SIGKILL or SIGTERM it like an operator or the kernel would.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');

export interface MailroomProcess {
  child: ChildProcess;
  smtpPort: number;
  httpPort: number;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function spawnMailroom(dataDir: string, env: Record<string, string> = {}): Promise<MailroomProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/main.ts')], {
    cwd: ROOT,
    env: {
      ...process.env,
      MAILROOM_CONFIG: path.join(ROOT, 'config/mailroom.yaml'),
      MAILROOM_DATA_DIR: dataDir,
      MAILROOM_SMTP_PORT: '0',
      MAILROOM_HTTP_PORT: '0',
      MAILROOM_SMTP_HOST: '127.0.0.1',
      MAILROOM_HTTP_HOST: '127.0.0.1',
      MAILROOM_DOMAINS: 'mailroom.test',
      MAILROOM_LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`mailroom did not start:\n${out}`)), 30_000);
    const onData = () => {
      for (const line of out.split('\n')) {
        if (!line.includes('mailroom started')) continue;
        const rec = JSON.parse(line);
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        resolve({ child, smtpPort: rec.smtp, httpPort: rec.http, output: () => out, exited });
        return;
      }
    };
    child.stdout!.on('data', onData);
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`mailroom exited with ${code} before starting:\n${out}`));
    });
  });
}
