// The disk-space floor (bad-input 31): below it new mail is refused with a
// temporary error at MAIL FROM, before the client sends a byte of content.
import { statfsSync } from 'node:fs';

export class DiskSpaceCheck {
  private checkedAt = 0;
  private low = false;

  constructor(
    private readonly dir: string,
    private readonly minFreeBytes: number,
    /** statfs is a syscall; once a second is plenty for a threshold measured in megabytes. */
    private readonly cacheMs = 1000,
    private readonly freeBytes: (dir: string) => number = (d) => {
      const s = statfsSync(d);
      return Number(s.bavail) * Number(s.bsize);
    },
  ) {}

  belowFloor(now = Date.now()): boolean {
    if (this.minFreeBytes <= 0) return false;
    if (now - this.checkedAt >= this.cacheMs) {
      this.checkedAt = now;
      try {
        this.low = this.freeBytes(this.dir) < this.minFreeBytes;
      } catch {
        this.low = false;
      }
    }
    return this.low;
  }
}
