// Bytes on disk under a directory (a SQLite data directory: the database, its WAL and shm).
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

export function dirBytes(dir: string): number {
  let n = 0;
  for (const f of readdirSync(dir)) {
    const p = path.join(dir, f);
    const s = statSync(p);
    n += s.isDirectory() ? dirBytes(p) : s.size;
  }
  return n;
}
