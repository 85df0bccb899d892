// The CounterStore contract (throttle-counters-contract.ts) on one node's memory.
import { test } from 'uvu';
import { MemoryCounters } from '../../src/http/middleware/rate-limit.js';
import { counterStoreContract } from './throttle-counters-contract.js';

counterStoreContract(test, () => new MemoryCounters());

test.run();
