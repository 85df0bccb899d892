// Reads the export ZIP back (services/data-rights.ts writes it with privacy/zip.ts).
import * as assert from 'uvu/assert';

/** Reads a stored (method 0) ZIP with ZIP64 central entries, as the export writes it. */
export function unzip(buf: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let eocd = buf.length - 22;
  while (eocd >= 0 && buf.readUInt32LE(eocd) !== 0x06054b50) eocd--;
  assert.ok(eocd >= 0, 'end of central directory');
  const locator = eocd - 20;
  assert.is(buf.readUInt32LE(locator), 0x07064b50, 'zip64 locator');
  const z64 = Number(buf.readBigUInt64LE(locator + 8));
  const count = Number(buf.readBigUInt64LE(z64 + 32));
  let p = Number(buf.readBigUInt64LE(z64 + 48));
  for (let i = 0; i < count; i++) {
    assert.is(buf.readUInt32LE(p), 0x02014b50);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const name = buf.subarray(p + 46, p + 46 + nameLen).toString('utf8');
    const extra = buf.subarray(p + 46 + nameLen, p + 46 + nameLen + extraLen);
    const size = Number(extra.readBigUInt64LE(4));
    const offset = Number(extra.readBigUInt64LE(20));
    const lnl = buf.readUInt16LE(offset + 26);
    const lel = buf.readUInt16LE(offset + 28);
    const start = offset + 30 + lnl + lel;
    out.set(name, buf.subarray(start, start + size));
    p += 46 + nameLen + extraLen + commentLen;
  }
  return out;
}
