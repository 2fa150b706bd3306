// A server at its open-file limit stops accepting: newcomers wait in the
// kernel's listen backlog until connections close, and then get in. Before,
// accept() failed with EMFILE and lws tried again at once, forever: a core
// spent, and one log line per try, for as long as the server was full.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import WebSocket from 'ws';

import { token } from './lib/fixtures.mjs';
import { T, sleep, useEnv, waitFor } from './lib/harness.mjs';

// 150 descriptors leave lws a table of 75 sockets (src/net/net.c, lws_fd_limit);
// with the whole limit as its table, accept() ran out of descriptors first.
const env = useEnv({}, { nofile: 150 });
const WANTED = 140;

function connect(url, opened) {
  const ws = new WebSocket(url, 'dragoman.v1');
  ws.on('open', () => opened.add(ws));
  ws.on('error', () => {});
  return ws;
}

describe('open-file limit', () => {
  it('keeps newcomers waiting while full, takes them as others leave, and never spins on accept', T(60), async () => {
    const opened = new Set();
    const all = Array.from({ length: WANTED }, () => connect(env.server.url, opened));
    try {
      await waitFor(() => opened.size >= 60, { what: 'the first sixty connections' });
      await sleep(500); // room for more to get in, were there room
      assert.ok(opened.size < WANTED, `all ${WANTED} got in under a limit of 150 descriptors`);
      assert.ok(all.every((ws) => ws.readyState !== WebSocket.CLOSED), 'a waiting connection was refused');

      const leaving = [...opened];
      for (const ws of leaving) ws.close();
      await waitFor(() => opened.size === WANTED, { what: 'the waiting connections to get in as the first leave' });
      assert.doesNotMatch(env.server.log, /accept: errno/, 'accept() failed for want of a descriptor');

      const probe = [...opened].find((ws) => !leaving.includes(ws));
      const reply = new Promise((resolve) => probe.once('message', (d) => resolve(JSON.parse(d))));
      probe.send(JSON.stringify({ type: 'hello', id: 'h1', token: token('u-coord') }));
      assert.equal((await reply).type, 'result', 'a connection is served');
    } finally {
      for (const ws of all) ws.terminate();
    }
  });
});
