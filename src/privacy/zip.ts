// A streaming ZIP writer (APPNOTE 6.3.x): entries are written as they are
// produced, with sizes and CRC in a data descriptor after each (flag bit 3),
// so an export of any size is never held in memory. Entries are stored
// (method 0); ZIP64 is used for offsets and sizes past 4 GiB.
import { crc32 } from 'node:zlib';

const u16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
};
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
};
const u64 = (n: number) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b;
};
const MAX32 = 0xffffffff;

/**
 * An archive entry name that cannot escape the archive or confuse an
 * unzipper (bad-input 68): each path segment keeps letters, digits and
 * `@._+-`, dots cannot lead (no `..`), and nothing is absolute.
 */
export function safeEntryName(path: string): string {
  return (
    path
      .split('/')
      .map((seg) =>
        seg
          .normalize('NFC')
          .replace(/[^\p{L}\p{N}@._+-]/gu, '_')
          .replace(/^\.+/, '_')
          .slice(0, 150),
      )
      .filter((seg) => seg !== '')
      .join('/') || 'entry'
  );
}

interface Central {
  name: Buffer;
  crc: number;
  size: number;
  offset: number;
  dosTime: number;
  dosDate: number;
}

function dos(d: Date): { time: number; date: number } {
  return {
    time: (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | Math.floor(d.getUTCSeconds() / 2),
    date: ((Math.max(1980, d.getUTCFullYear()) - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
  };
}

export class ZipWriter {
  private offset = 0;
  private readonly entries: Central[] = [];
  private current: (Central & { written: number }) | null = null;

  constructor(private readonly emit: (chunk: Buffer) => void | Promise<void>, private readonly now = new Date()) {}

  private async out(b: Buffer): Promise<void> {
    this.offset += b.length;
    await this.emit(b);
  }

  async begin(name: string): Promise<void> {
    if (this.current) await this.end();
    const nameBuf = Buffer.from(safeEntryName(name), 'utf8');
    const { time, date } = dos(this.now);
    this.current = { name: nameBuf, crc: 0, size: 0, offset: this.offset, dosTime: time, dosDate: date, written: 0 };
    // Version 45 (ZIP64), flags: bit 3 (data descriptor) + bit 11 (UTF-8 names).
    await this.out(
      Buffer.concat([u32(0x04034b50), u16(45), u16(0x0808), u16(0), u16(time), u16(date), u32(0), u32(0), u32(0), u16(nameBuf.length), u16(0), nameBuf]),
    );
  }

  async write(data: Buffer): Promise<void> {
    const c = this.current;
    if (!c) throw new Error('no entry open');
    if (!data.length) return;
    c.crc = crc32(data, c.crc);
    c.size += data.length;
    await this.out(data);
  }

  async end(): Promise<void> {
    const c = this.current;
    if (!c) return;
    this.current = null;
    // ZIP64 data descriptor (8-byte sizes): readers take it when the central entry says ZIP64.
    await this.out(Buffer.concat([u32(0x08074b50), u32(c.crc), u64(c.size), u64(c.size)]));
    this.entries.push(c);
  }

  async entry(name: string, data: Buffer): Promise<void> {
    await this.begin(name);
    await this.write(data);
    await this.end();
  }

  async finish(): Promise<void> {
    await this.end();
    const start = this.offset;
    for (const e of this.entries) {
      const extra = Buffer.concat([u16(0x0001), u16(24), u64(e.size), u64(e.size), u64(e.offset)]);
      await this.out(
        Buffer.concat([
          u32(0x02014b50), u16(45), u16(45), u16(0x0808), u16(0), u16(e.dosTime), u16(e.dosDate), u32(e.crc),
          u32(MAX32), u32(MAX32), u16(e.name.length), u16(extra.length), u16(0), u16(0), u16(0), u32(0), u32(MAX32), e.name, extra,
        ]),
      );
    }
    const size = this.offset - start;
    const zip64End = this.offset;
    await this.out(
      Buffer.concat([u32(0x06064b50), u64(44), u16(45), u16(45), u32(0), u32(0), u64(this.entries.length), u64(this.entries.length), u64(size), u64(start)]),
    );
    await this.out(Buffer.concat([u32(0x07064b50), u32(0), u64(zip64End), u32(1)]));
    const n = Math.min(this.entries.length, 0xffff);
    await this.out(Buffer.concat([u32(0x06054b50), u16(0), u16(0), u16(n), u16(n), u32(Math.min(size, MAX32)), u32(Math.min(start, MAX32)), u16(0)]));
  }
}
