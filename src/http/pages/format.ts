// Small formatting helpers for the views. They return plain strings: the JSX
// renderer escapes them like any other text.

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(bytes < 10 * 1024 ? 1 : 0)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** A UTC timestamp with minute precision: the server does not know the reader's zone, and says so. */
export function formatTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '';
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return '';
  return d.toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
}

export function isoTime(ms: number | null | undefined): string | undefined {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return undefined;
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

// Bidi embeddings, overrides and isolates: `evil\u202Egpj.exe` displays as
// "evilexe.jpg" (bad-input 43). Real right-to-left text needs none of them.
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/g;

/**
 * Prepares a stranger's string for display: bidi controls removed and the
 * length capped so one header cannot make a megabyte of HTML. Escaping is the
 * JSX renderer's job.
 */
export function clip(s: string, max: number): string {
  const t = String(s ?? '').replace(BIDI_CONTROLS, '');
  return t.length > max ? t.slice(0, max) + '…' : t;
}
