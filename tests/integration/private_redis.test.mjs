// With no --redis, dragomand runs its own redis-server in DATA_DIR/redis (unix
// socket, append-only file) and stops it on exit: requests survive a restart
// of dragomand, and no redis-server is left behind, even after a kill -9.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';

import { token } from './lib/fixtures.mjs';
import { T, WAIT_MS, create, useEnv, waitFor } from './lib/harness.mjs';

const env = useEnv({}, { privateRedis: true });

// pid, parent pid and state of a process from /proc, or null when gone.
function procStat(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { state: rest[0], ppid: Number(rest[1]) };
  } catch {
    return null;
  }
}

function cmdline(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

// redis-server processes (zombies excluded) working in this data folder.
function redisServersIn(dir) {
  return fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).map(Number).filter((pid) => {
    const st = procStat(pid);
    return st && st.state !== 'Z' && /redis-server/.test(cmdline(pid)) && cmdline(pid).includes(dir);
  });
}

describe('private Redis', () => {
  it('starts its own redis-server as a child, serves, and stops it on SIGTERM', T(45), async () => {
    const server = env.server;
    const dir = server.opts.dataDir;
    const redis = redisServersIn(dir);
    assert.equal(redis.length, 1, `one private redis-server in ${dir}: ${redis}`);
    assert.equal(procStat(redis[0]).ppid, server.child.pid, 'it is dragomand\'s child');
    assert.ok(fs.existsSync(`${dir}/redis`), 'its folder is DATA_DIR/redis');

    const clinic = await env.clinic();
    const req = await create(clinic, { language: 'sw', note: 'survives a restart' });
    await clinic.close();

    const pid = server.child.pid;
    await server.stop();
    assert.deepEqual(server.findings(), [], 'SIGTERM ended dragomand cleanly');
    assert.equal(procStat(pid), null, 'dragomand is gone');
    await waitFor(() => redisServersIn(dir).length === 0, { what: 'the private redis-server to stop' });

    await server.start();
    const res = await env.http('GET', `/api/requests/${req.id}`, { token: token('c-north') });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.request.state, 'searching');
    assert.equal(res.body.request.note, 'survives a restart');
  });

  it('after kill -9 of dragomand its redis-server goes too, and a new start finds the data', T(45), async () => {
    const server = env.server;
    const dir = server.opts.dataDir;
    const clinic = await env.clinic();
    const req = await create(clinic, { language: 'sw' });
    await clinic.close();

    await server.kill9();
    await waitFor(() => redisServersIn(dir).length === 0, { timeout: 5000 + WAIT_MS, what: 'the orphaned redis-server to stop' });
    await server.start();
    assert.equal(redisServersIn(dir).length, 1);
    const res = await env.http('GET', `/api/requests/${req.id}`, { token: token('c-north') });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.request.id, req.id);
  });
});
