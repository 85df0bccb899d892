// The test runner's preflight (issue 10: `npm test` passes on a fresh machine).
// This machine has every program installed, so the decision is checked with a
// fake lookup, and the install path with a real temp PATH holding a stand-in
// apt-get script, which "installs" by creating the missing executables: the
// real apt-get is never run here.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { installCommand, lookupOnPath, planPreflight, runPreflight, systemRequirements, type Lookup } from '../../scripts/test-preflight.js';
import { tempDir } from '../helpers/temp.js';

const requirements = systemRequirements({ CHROMIUM_PATH: '/opt/chrome/chromium' });

function fakeLookup(present: string[]): Lookup {
  return (command) => (present.includes(command) ? `/usr/bin/${path.basename(command)}` : null);
}

function executable(file: string, body = '#!/bin/sh\nexit 0\n'): void {
  writeFileSync(file, body);
  chmodSync(file, 0o755);
}

test('the requirements cover every system program a test starts', () => {
  const byPackage = Object.fromEntries(requirements.map((r) => [r.debianPackage, r.command]));
  assert.equal(byPackage, { chromium: '/opt/chrome/chromium', swaks: 'swaks', openssl: 'openssl' });
  assert.is(systemRequirements({}).find((r) => r.debianPackage === 'chromium')?.command, '/usr/bin/chromium');
});

test('all present: nothing to do', () => {
  const plan = planPreflight(requirements, fakeLookup(['/opt/chrome/chromium', 'swaks', 'openssl', 'apt-get']), false);
  assert.equal(plan, { action: 'none' });
});

test('missing as root with apt-get: installs the missing packages and the fonts', () => {
  const plan = planPreflight(requirements, fakeLookup(['openssl', 'apt-get']), true);
  assert.is(plan.action, 'install');
  if (plan.action !== 'install') return;
  assert.is(plan.aptGet, '/usr/bin/apt-get');
  assert.equal(plan.packages, ['chromium', 'swaks', 'fonts-dejavu-core']);
});

test('missing and not root: stops with the one command to run', () => {
  const plan = planPreflight(requirements, fakeLookup(['openssl', 'apt-get']), false);
  assert.is(plan.action, 'stop');
  if (plan.action !== 'stop') return;
  assert.ok(plan.message.includes('Run: sudo apt-get install -y chromium swaks'), plan.message);
  assert.not.match(plan.message, /\n/);
  assert.is(installCommand(plan.missing), 'sudo apt-get install -y chromium swaks');
});

test('missing as root without apt-get: stops too, naming the Debian command', () => {
  const plan = planPreflight(requirements, fakeLookup(['/opt/chrome/chromium', 'openssl']), true);
  assert.is(plan.action, 'stop');
  if (plan.action !== 'stop') return;
  assert.ok(plan.message.includes('sudo apt-get install -y swaks'), plan.message);
});

test('lookupOnPath finds executables on PATH and by absolute path, not plain files', () => {
  const dir = tempDir();
  try {
    executable(path.join(dir, 'tool'));
    writeFileSync(path.join(dir, 'data'), 'not a program');
    const lookup = lookupOnPath(`/nonexistent${path.delimiter}${dir}`);
    assert.is(lookup('tool'), path.join(dir, 'tool'));
    assert.is(lookup('data'), null);
    assert.is(lookup('no-such-tool'), null);
    assert.is(lookup(path.join(dir, 'tool')), path.join(dir, 'tool'));
    assert.is(lookup(dir), null);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('runPreflight as root runs apt-get update, then install without recommends, non-interactive', () => {
  const dir = tempDir();
  try {
    const log = path.join(dir, 'apt.log');
    // Stand-in apt-get: logs its arguments and frontend, and on install creates the programs.
    executable(
      path.join(dir, 'apt-get'),
      `#!/bin/sh\necho "$DEBIAN_FRONTEND $*" >> ${log}\n` +
        `if [ "$1" = install ]; then for p in chromium swaks; do printf '#!/bin/sh\\n' > ${dir}/$p; chmod 755 ${dir}/$p; done; fi\n`,
    );
    executable(path.join(dir, 'openssl'));
    // The script itself needs chmod; the programs are looked up in dir alone.
    const env = { PATH: `${dir}${path.delimiter}/usr/bin${path.delimiter}/bin`, CHROMIUM_PATH: path.join(dir, 'chromium') };
    assert.ok(runPreflight(env, lookupOnPath(dir), true));
    assert.equal(readFileSync(log, 'utf8').trim().split('\n'), [
      'noninteractive update',
      'noninteractive install -y --no-install-recommends chromium swaks fonts-dejavu-core',
    ]);
    // Now everything is there: a second run does not call apt-get again.
    rmSync(log);
    assert.ok(runPreflight(env, lookupOnPath(dir), true));
    assert.not.ok(existsSync(log));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('runPreflight fails when apt-get fails, and does not run apt-get when not root', () => {
  const dir = tempDir();
  try {
    const log = path.join(dir, 'apt.log');
    executable(path.join(dir, 'apt-get'), `#!/bin/sh\necho "$*" >> ${log}\nexit 100\n`);
    const env = { PATH: dir, CHROMIUM_PATH: path.join(dir, 'chromium') };
    assert.not.ok(runPreflight(env, lookupOnPath(dir), true));
    assert.equal(readFileSync(log, 'utf8').trim().split('\n'), ['update']);
    rmSync(log);
    assert.not.ok(runPreflight(env, lookupOnPath(dir), false));
    assert.not.ok(existsSync(log));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
