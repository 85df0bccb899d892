// How many parse workers a machine gets (issue 16): a core for the main and
// writer threads, the rest for processing, and never fewer than two, so on a
// two-core machine processing keeps up with an offered 1,000 messages/s.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parsePoolSize, createParsePool } from '../../src/jobs/parse-pool.js';

test('one worker per core but one, at least two', () => {
  assert.is(parsePoolSize(1), 2);
  assert.is(parsePoolSize(2), 2);
  assert.is(parsePoolSize(4), 3);
  assert.is(parsePoolSize(16), 15);
});

test('the parse pool is sized by it unless told otherwise', async () => {
  const pool = createParsePool();
  const one = createParsePool(undefined, 1);
  try {
    assert.is(pool.size, parsePoolSize());
    assert.is(one.size, 1);
  } finally {
    await pool.close();
    await one.close();
  }
});

test.run();
