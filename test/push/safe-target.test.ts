// Webhook targets (GUIDE "Showing mail from strangers"; issue 11): with the
// default config nothing inside the operator's network is reachable, in any
// spelling, and names are judged by every address they resolve to.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { addressRefusal, checkTarget, TargetRefused, urlRefusal, type TargetPolicy } from '../../src/push/safe-target.js';
import { configSchema } from '../../src/config.js';

const DEFAULT: TargetPolicy = (() => {
  const c = configSchema.parse({});
  return { allowPrivateNetworks: c.webhooks.allowPrivateNetworks, allowedPorts: c.webhooks.allowedPorts };
})();

async function refused(url: string, policy = DEFAULT, resolve?: Parameters<typeof checkTarget>[2]): Promise<string> {
  try {
    await checkTarget(url, policy, resolve);
  } catch (err) {
    assert.instance(err, TargetRefused);
    return (err as Error).message;
  }
  throw new Error(`${url} was allowed`);
}

test('bad-input 65: webhooks, default config: loopback, private, metadata, IPv6 loopback and IPv4-mapped loopback are refused', async () => {
  assert.is(DEFAULT.allowPrivateNetworks, false);
  for (const url of [
    'http://127.0.0.1/hook',
    'http://10.0.0.1/hook',
    'http://169.254.169.254/latest/meta-data/',
    'http://[::1]/hook',
    'http://[::ffff:127.0.0.1]/hook',
    'http://[::ffff:10.0.0.1]/hook',
    'http://2130706433/', // 127.0.0.1 as one number
    'http://0x7f.1/',
    'http://0.0.0.0/',
    'http://100.64.0.1/', // CGNAT
    'http://172.16.5.4/',
    'http://192.168.1.1/',
    'http://224.0.0.1/',
    'http://255.255.255.255/',
    'http://[fc00::1]/',
    'http://[fd12:3456::1]/',
    'http://[fe80::1]/',
    'http://[::]/',
    'http://[64:ff9b::7f00:1]/', // NAT64 form of 127.0.0.1
    'http://[2002:7f00:1::]/', // 6to4 form of 127.0.0.1
  ]) {
    assert.ok(await refused(url), url);
  }
});

test('bad-input 65: a name that resolves to loopback (localhost) is refused; so is a name with one bad address among good ones', async () => {
  assert.match(await refused('http://localhost/hook'), /localhost resolves to/);
  const mixed = async () => [
    { address: '93.184.216.34', family: 4 },
    { address: '10.1.2.3', family: 4 },
  ];
  assert.match(await refused('http://rebind.example/', DEFAULT, mixed), /10\.1\.2\.3/);
});

test('a public address is allowed and the checked address is what will be connected to', async () => {
  const t = await checkTarget('https://hooks.example/path?q=1', DEFAULT, async () => [{ address: '93.184.216.34', family: 4 }]);
  assert.is(t.address, '93.184.216.34');
  assert.is(t.port, 443);
  assert.is(t.hostname, 'hooks.example');
});

test('webhooks.allowPrivateNetworks opens loopback and private ranges, never link-local or multicast', () => {
  assert.is(addressRefusal('127.0.0.1', true), null);
  assert.is(addressRefusal('10.0.0.1', true), null);
  assert.is(addressRefusal('::1', true), null);
  assert.is(addressRefusal('::ffff:127.0.0.1', true), null);
  assert.is(addressRefusal('fd00::1', true), null);
  assert.ok(addressRefusal('169.254.169.254', true));
  assert.ok(addressRefusal('fe80::1', true));
  assert.ok(addressRefusal('224.0.0.1', true));
  assert.ok(addressRefusal('0.0.0.0', true));
});

test('webhooks.allowedPorts: other ports, other schemes and credentials in the URL are refused', () => {
  assert.match(urlRefusal('http://hooks.example:22/', DEFAULT)!, /port 22 is not allowed/);
  assert.is(urlRefusal('http://hooks.example:8080/', DEFAULT), null);
  assert.match(urlRefusal('http://hooks.example:8080/', { ...DEFAULT, allowedPorts: [443] })!, /port 8080/);
  assert.match(urlRefusal('ftp://hooks.example/', DEFAULT)!, /only http and https/);
  assert.match(urlRefusal('file:///etc/passwd', DEFAULT)!, /only http and https/);
  assert.match(urlRefusal('http://user:pw@hooks.example/', DEFAULT)!, /credentials/);
});

test.run();
