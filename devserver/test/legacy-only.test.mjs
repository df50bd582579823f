// --legacy-only: the server behaves as livekit-server before 1.9.10 (no /rtc/v1).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDevServer, mintToken, connectSignal, httpGet } from '../testlib/index.mjs';

let server;
before(async () => { server = await startDevServer({ legacyOnly: true }); });
after(async () => { await server?.stop(); });

test('/rtc/v1 answers 404, /rtc works', async () => {
  const t = await mintToken({ room: 'l', identity: 'a' });
  await assert.rejects(connectSignal(server.url, t, { v1: true }), (e) => e.status === 404);
  assert.equal((await httpGet(`${server.httpUrl}/rtc/v1/validate?access_token=${t}`)).status, 404);
  assert.equal((await httpGet(`${server.httpUrl}/rtc/validate?access_token=${t}`)).status, 200);
  const c = await connectSignal(server.url, t, { v1: false });
  const j = await c.waitFor('join');
  assert.equal(j.room.name, 'l');
  c.leave();
});
