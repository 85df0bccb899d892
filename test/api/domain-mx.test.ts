// Domain verification also looks at MX (issue 12 point: verifiedMx): an MX
// record naming this Mailroom (smtp.hostname, or the public URL's host) sets
// verifiedMx; one naming another host, none, or a failed lookup leaves it
// false and says why in lastVerificationErrors. Only the TXT record gates
// acceptance: MX without TXT is not enough to get mail accepted, and TXT
// without MX is. DNS answers come from stubs, never the network.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RawSmtp, simpleMessage } from '../helpers/raw-smtp.js';
import { api, makeUser, startApiMailroom, type TestMailroom } from './_helpers.js';

const txt = new Map<string, string[][]>();
const mx = new Map<string, Array<{ exchange: string; priority: number }>>();
const mxLookups: string[] = [];
let m: TestMailroom;
let owner: { id: number; key: string };

test.before(async () => {
  m = await startApiMailroom({ http: { publicUrl: 'https://mail.example-operator.test' } } as never, {
    resolveTxt: async (name) => txt.get(name) ?? [],
    resolveMx: async (name) => {
      mxLookups.push(name);
      const r = mx.get(name);
      if (!r) throw Object.assign(new Error('queryMx ENOTFOUND'), { code: 'ENOTFOUND' });
      return r;
    },
  });
  owner = await makeUser(m.store, 'mxowner');
});

test.after(async () => {
  await m?.cleanup();
});

async function rcpt(to: string): Promise<number> {
  const c = await RawSmtp.connect(m.smtpAddress.port);
  try {
    await c.hello();
    return (await c.send('sender@example.org', [to], simpleMessage({ to, subject: 'mx', body: 'hello' }))).code;
  } finally {
    await c.quit();
  }
}

async function addDomain(domain: string): Promise<string> {
  const added = await api(m, 'POST', `/api/domains/${domain}`, { key: owner.key });
  assert.is(added.status, 200, added.text);
  return added.json.domain.verificationTxt;
}

const verify = async (domain: string) => (await api(m, 'POST', `/api/domains/${domain}/verify`, { key: owner.key })).json;

test('MX naming smtp.hostname sets verifiedMx; MX alone does not get mail accepted', async () => {
  const D = 'mx-first.example';
  const token = await addDomain(D);
  // MX points here (any case, trailing dot), but no TXT yet.
  mx.set(D, [{ exchange: 'other.example.net', priority: 20 }, { exchange: 'MX.Mailroom.TEST.', priority: 10 }]);
  let d = await verify(D);
  assert.is(d.verified, false);
  assert.is(d.verifiedMx, true, 'the MX record was seen');
  assert.match(d.lastVerificationErrors, /No TXT record/);
  assert.not.match(d.lastVerificationErrors, /MX/);
  assert.is(await rcpt(`a@${D}`), 550, 'TXT gates acceptance, not MX');
  assert.ok(mxLookups.includes(D));

  txt.set(D, [[token]]);
  d = await verify(D);
  assert.is(d.verified, true);
  assert.is(d.verifiedMx, true);
  assert.is(d.lastVerificationErrors, '');
  assert.is(await rcpt(`a@${D}`), 250);
  const listed = (await api(m, 'GET', '/api/domains', { key: owner.key })).json.find((x: any) => x._id === D);
  assert.is(listed.verifiedMx, true);
});

test('TXT without MX: verified and accepting, verifiedMx false and the reason given; MX elsewhere is not ours', async () => {
  const D = 'txt-only.example';
  txt.set(D, [[await addDomain(D)]]);
  let d = await verify(D);
  assert.is(d.verified, true);
  assert.is(d.verifiedMx, false);
  assert.match(d.lastVerificationErrors, /No MX record at txt-only\.example points at mx\.mailroom\.test or mail\.example-operator\.test \(DNS lookup failed: ENOTFOUND\)/);
  assert.is(await rcpt(`b@${D}`), 250, 'accepted on TXT alone');

  mx.set(D, [{ exchange: 'mx.elsewhere.example', priority: 10 }]);
  d = await verify(D);
  assert.is(d.verifiedMx, false);
  assert.match(d.lastVerificationErrors, /No MX record/);

  // The public URL's host counts too (an operator whose MX is the web host's name).
  mx.set(D, [{ exchange: 'mail.example-operator.test', priority: 10 }]);
  d = await verify(D);
  assert.is(d.verifiedMx, true);
  assert.is(d.lastVerificationErrors, '');

  // A failed MX lookup later leaves the last answer standing; an answer that no longer names us clears it.
  mx.delete(D);
  assert.is((await verify(D)).verifiedMx, true, 'lookup failure: unchanged');
  mx.set(D, [{ exchange: 'mx.elsewhere.example', priority: 10 }]);
  assert.is((await verify(D)).verifiedMx, false, 'answer without us: cleared');
  assert.is((await verify(D)).verified, true, 'TXT verification is not undone by MX');
  // The TXT record gone later: still verified (a DNS hiccup must not publish its mail), and said so.
  txt.delete(D);
  const gone = await verify(D);
  assert.is(gone.verified, true);
  assert.match(gone.lastVerificationErrors, /was not found at txt-only\.example; the domain stays verified; No MX record/);
});

test.run();
