// Starts a worker thread from a module next to the caller. Compiled, that is
// the .js file; under tsx (npm start, the tests) it is the .ts source, and
// Node 20 does not apply the parent's `--import tsx` loader to a worker's
// entry file, so the worker boots through tsx's own import API instead.
import { Worker, type WorkerOptions } from 'node:worker_threads';

export function startWorker(entry: URL, options: WorkerOptions = {}): Worker {
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, options);
  const href = JSON.stringify(entry.href);
  const boot = `import('tsx/esm/api').then(({ tsImport }) => tsImport(${href}, ${href}))`;
  return new Worker(boot, { ...options, eval: true });
}

/** The URL of module `name` (no extension) beside `importMetaUrl`, in the same form (.ts under tsx, .js compiled). */
export function siblingModule(importMetaUrl: string, name: string): URL {
  // tsx may add a query (?tsx-namespace=…) to the importer's URL, so look at the path only.
  const ext = new URL(importMetaUrl).pathname.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`./${name}${ext}`, importMetaUrl);
}
