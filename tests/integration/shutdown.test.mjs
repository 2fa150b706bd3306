// SIGTERM: the server says goodbye and waits (briefly) for its connections to
// close. Meanwhile it turns new connections away at once, before reading
// anything from them: clients told to go come straight back, and when ten
// thousand did, answering each kept the server too busy to close the
// connections it was stopping for (bench/README.md, session 11).
import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, it } from 'node:test';

import { T, useEnv, waitFor } from './lib/harness.mjs';

const env = useEnv();

// A WebSocket that never answers the server's close frame, so the server stays
// in its shutdown grace period until the grace runs out.
function deafWebSocket(port) {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => {
      s.write(['GET /ws HTTP/1.1', `Host: 127.0.0.1:${port}`, 'Upgrade: websocket', 'Connection: Upgrade',
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version: 13',
        'Sec-WebSocket-Protocol: dragoman.v1', '', ''].join('\r\n'));
    });
    let head = '';
    const onData = (d) => {
      head += d;
      if (!head.includes('\r\n\r\n')) return;
      s.off('data', onData);
      if (!head.startsWith('HTTP/1.1 101')) reject(new Error(`no upgrade: ${head}`));
      else resolve(s);
    };
    s.on('data', onData);
    s.on('error', reject);
  });
}

// What a new connection gets back for GET /healthz: the bytes until it closes.
function answerToHealthz(port) {
  return new Promise((resolve) => {
    let got = '';
    const s = net.connect(port, '127.0.0.1', () => s.write(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`));
    s.on('data', (d) => { got += d; });
    s.on('error', () => {});
    s.on('close', () => resolve(got));
  });
}

describe('shutdown', () => {
  it('turns new connections away unread while it waits for the old ones to close', T(30), async () => {
    const server = env.server;
    const deaf = await deafWebSocket(server.port);
    deaf.on('error', () => {});
    server.expectDeath = true;
    server.child.kill('SIGTERM');
    await waitFor(() => server.log.includes('SIGTERM: shutting down'), { what: 'the server to begin stopping' });
    assert.equal(await answerToHealthz(server.port), '', 'no answer, not even "503 shutting down"');
    await waitFor(() => !server.alive(), { timeout: 15000, what: 'the server to exit after its grace period' });
    assert.equal(server.child.exitCode, 0);
    deaf.destroy();
    await server.start();
  });
});
