// Before any test runs: the system programs the tests need must be there.
// Issue 10 asks that `npm test` pass on a fresh machine: where a system package
// is missing, install it when we can (root with apt-get, as `.ci/run` does),
// and otherwise stop at once with the one command to run, instead of failing
// minutes later in a before() hook of the browser tests.
//
// The decision (`planPreflight`) is a pure function of what a lookup finds and
// who we are, so test/scripts/test-preflight.test.ts can check it with a fake
// lookup on a machine where everything is installed.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';

export interface SystemRequirement {
  /** What the tests run: a command name looked up on PATH, or an absolute path. */
  command: string;
  /** The Debian package that provides it. */
  debianPackage: string;
  /** Who needs it, for the message. */
  usedBy: string;
}

// Every system program a test starts (grep test/ and scripts/ for spawn,
// execFile and executablePath). Node itself is process.execPath.
export function systemRequirements(env: NodeJS.ProcessEnv = process.env): SystemRequirement[] {
  return [
    // playwright-core drives Debian's Chromium; it never downloads a browser.
    { command: env.CHROMIUM_PATH || '/usr/bin/chromium', debianPackage: 'chromium', usedBy: 'test/browser (playwright-core)' },
    // The real SMTP client named in the README and on the home page.
    { command: 'swaks', debianPackage: 'swaks', usedBy: 'the "try it" command of the README and the home page' },
    // Self-signed certificates for the STARTTLS tests.
    { command: 'openssl', debianPackage: 'openssl', usedBy: 'test/security/smtp.test.ts, test/config-behaviour.test.ts' },
  ];
}

// Chromium without recommends has no font at all and renders every glyph as a box.
export const EXTRA_PACKAGES = ['fonts-dejavu-core'];

/** Finds an executable: an absolute path is checked as is, a name on PATH. */
export type Lookup = (command: string) => string | null;

export function lookupOnPath(pathVar: string = process.env.PATH ?? ''): Lookup {
  const isExecutable = (file: string): boolean => {
    try {
      if (!statSync(file).isFile()) return false;
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  return (command) => {
    if (path.isAbsolute(command)) return isExecutable(command) ? command : null;
    for (const dir of pathVar.split(path.delimiter)) {
      if (!dir) continue;
      const file = path.join(dir, command);
      if (isExecutable(file)) return file;
    }
    return null;
  };
}

export type PreflightPlan =
  | { action: 'none' }
  | { action: 'install'; missing: SystemRequirement[]; aptGet: string; packages: string[] }
  | { action: 'stop'; missing: SystemRequirement[]; message: string };

export function installCommand(missing: SystemRequirement[]): string {
  return `sudo apt-get install -y ${missing.map((r) => r.debianPackage).join(' ')}`;
}

export function planPreflight(requirements: SystemRequirement[], lookup: Lookup, isRoot: boolean): PreflightPlan {
  const missing = requirements.filter((r) => lookup(r.command) === null);
  if (!missing.length) return { action: 'none' };
  const aptGet = lookup('apt-get');
  if (isRoot && aptGet) {
    return { action: 'install', missing, aptGet, packages: [...missing.map((r) => r.debianPackage), ...EXTRA_PACKAGES] };
  }
  const names = missing.map((r) => r.command).join(', ');
  const hint = aptGet ? '' : ' (on Debian/Ubuntu; elsewhere install the same programs)';
  const chromiumHint = missing.some((r) => r.debianPackage === 'chromium') ? ', or set CHROMIUM_PATH to a Chromium binary' : '';
  return {
    action: 'stop',
    missing,
    message: `npm test needs ${names}, not found. Run: ${installCommand(missing)}${hint}${chromiumHint}`,
  };
}

/** Runs the preflight; returns false when the tests must not start. */
export function runPreflight(
  env: NodeJS.ProcessEnv = process.env,
  lookup: Lookup = lookupOnPath(env.PATH),
  isRoot: boolean = process.getuid?.() === 0,
): boolean {
  const requirements = systemRequirements(env);
  const plan = planPreflight(requirements, lookup, isRoot);
  if (plan.action === 'none') return true;
  if (plan.action === 'stop') {
    console.error(plan.message);
    return false;
  }
  console.log(`preflight: missing ${plan.missing.map((r) => r.command).join(', ')}; installing ${plan.packages.join(' ')} with apt-get`);
  const aptEnv = { ...env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update'], ['install', '-y', '--no-install-recommends', ...plan.packages]]) {
    console.log(`preflight: ${plan.aptGet} ${args.join(' ')}`);
    const r = spawnSync(plan.aptGet, args, { env: aptEnv, stdio: 'inherit' });
    if (r.status !== 0) {
      console.error(`preflight: apt-get ${args[0]} failed (${r.error?.message ?? `exit ${r.signal ?? r.status}`}). Run: ${installCommand(plan.missing)}`);
      return false;
    }
  }
  const still = requirements.filter((r) => lookup(r.command) === null);
  if (still.length) {
    console.error(`preflight: still missing after apt-get: ${still.map((r) => r.command).join(', ')}. Run: ${installCommand(still)}`);
    return false;
  }
  return true;
}
