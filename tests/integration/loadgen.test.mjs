// The load generator (bench/loadgen) against a real server: 60 interpreters
// and 4 clinics for a few seconds, every offer accepted or declined, and the
// clinics cancelling 40% of their requests at whatever stage they have
// reached. Every request must end one way or another, no reply may be an
// error other than the races the protocol allows (a late accept, a cancel
// after the session started), and Redis must still hold one job per
// interpreter and one interpreter per request. Nothing here is timed.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';

import { REPO, SCALE, T, useEnv } from './lib/harness.mjs';
import { assertInvariants } from './lib/invariants.mjs';

const run = promisify(execFile);
const LOADGEN = path.join(REPO, 'bench/loadgen');
const env = useEnv();

describe('load generator', () => {
  it('accepts, declines and cancels at every stage leave every request closed and Redis consistent', T(180),
    async () => {
      assert.ok(fs.existsSync(LOADGEN), `no ${LOADGEN} (make bench/loadgen)`);
      const people = ['--interpreters', '60', '--clinics', '4'];
      await env.server.stop();
      await env.redis.cmd('FLUSHALL');
      await run(LOADGEN, ['seed', '--redis', env.redisProc.url, ...people]);
      await env.server.start();

      const json = path.join(env.dir, 'loadgen.json');
      const { stdout } = await run(LOADGEN, ['run', '--port', String(env.server.port), ...people,
        '--rate', '30', '--warmup', '1', '--duration', '3', '--drain', String(20 * SCALE),
        '--accept', '0.6', '--decline', '0.4', '--delay', '0-200', '--session-ms', '200',
        '--cancel', '0.4', '--cancel-after', '0-250', '--json', json], { timeout: 150000 * SCALE });
      const out = JSON.parse(fs.readFileSync(json, 'utf8'));
      const c = out.counts;
      assert.equal(out.connected, 64, stdout);
      assert.equal(c.errors, 0, `unexpected error replies:\n${stdout}`);
      assert.equal(out.still_open, 0, `requests left open:\n${stdout}`);
      assert.ok(c.creates > 0 && c.cancels > 0, stdout);
      assert.ok(c.cancelled > 0, `no cancel came in time:\n${stdout}`);
      assert.ok(c.withdrawn_cancelled > 0, `no cancel withdrew an offer:\n${stdout}`);
      assert.equal(c.cancelled + c.cancel_conflicts, c.cancels, 'every cancel was answered');
      assert.equal(c.cycles + c.cancelled + c.unfilled, c.creates, 'every request ended, was cancelled or unfilled');
      await assertInvariants(env.redis);
    });
});
