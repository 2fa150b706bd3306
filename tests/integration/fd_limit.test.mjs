// A server near its open-file limit refuses newcomers (they see the
// connection close, and try again later) and keeps descriptors for its own
// needs. Before, accept() ran out of descriptors, and lws tried again at once,
// forever: a core spent, one log line per try, and the newcomers left hanging
// for as long as the server was full.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import WebSocket from 'ws';

import { token } from './lib/fixtures.mjs';
import { T, useEnv, waitFor } from './lib/harness.mjs';

// 150 descriptors: connections get at most the first 75 (src/net/net.c,
// fd_ceiling); the whole limit, more than 130 and then accept() failing.
const env = useEnv({}, { nofile: 150 });
const WANTED = 200;

// Resolves to the socket once open, or to null once refused.
function connect(url) {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, 'dragoman.v1');
    ws.once('open', () => resolve(ws));
    ws.once('error', () => resolve(null));
    ws.once('close', () => resolve(null));
  });
}

function hello(ws) {
  return new Promise((resolve) => {
    ws.once('message', (d) => resolve(JSON.parse(d)));
    ws.send(JSON.stringify({ type: 'hello', id: 'h1', token: token('u-coord') }));
  });
}

describe('open-file limit', () => {
  it('refuses newcomers while full, takes them again once others leave, and never spins on accept', T(60), async () => {
    const first = await Promise.all(Array.from({ length: WANTED }, () => connect(env.server.url)));
    const opened = first.filter(Boolean);
    try {
      assert.ok(opened.length >= 60, `only ${opened.length} connections got in`);
      assert.ok(opened.length < WANTED, `all ${WANTED} got in under a limit of 150 descriptors`);
      assert.equal((await hello(opened[0])).type, 'result', 'a connection in is served');

      for (const ws of opened) ws.terminate();
      const later = await waitFor(() => connect(env.server.url), { what: 'a newcomer to get in once the others left' });
      opened.push(later);
      assert.equal((await hello(later)).type, 'result', 'the newcomer is served');
      assert.doesNotMatch(env.server.log, /accept: errno/, 'accept() failed for want of a descriptor');
    } finally {
      for (const ws of opened) ws.terminate();
    }
  });
});
