// A walled worker for the pool's own tests: jobs that behave as hostile input does.
import { serveWalledJobs } from '../../src/workers/walled-worker.js';

export type TestJob = { kind: 'echo'; value: string } | { kind: 'spin' } | { kind: 'grow' } | { kind: 'big'; chars: number } | { kind: 'throw' } | { kind: 'wait'; ms: number };

serveWalledJobs<TestJob, string>((job) => {
  switch (job.kind) {
    case 'echo':
      return { output: job.value };
    case 'spin':
      for (;;) {
        // synchronous and endless: only terminate() ends it
      }
    case 'grow': {
      const keep: string[][] = [];
      for (;;) keep.push(new Array(1_000_000).fill('x'));
    }
    case 'big':
      return { output: 'y'.repeat(job.chars) };
    case 'throw':
      throw new Error('secret internal detail');
    case 'wait':
      return new Promise((resolve) => setTimeout(() => resolve({ output: 'waited' }), job.ms));
  }
});
