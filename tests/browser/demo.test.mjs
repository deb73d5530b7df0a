// The demo chat (/demo/, web/demo) in real headless Chromium against two nodes on one private
// Redis: two users log in through the demo's token endpoint, see each other in the presence
// list and typing, chat; a late joiner gets the history; the node the pages are on is stopped
// and started again while the other node publishes and a page sends, and both pages come back
// with every message exactly once and no "could not be recovered" notice.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { launchBrowser, textOf, waitForText, withScreenshots } from './browser_support.mjs';

const require = createRequire(import.meta.url);
const { Server, eventually } = require('../e2e/support.js');
const { RedisServer } = require('../e2e/redis_support.js');

let redis;
let nodeA;
let nodeB;
let browser;
const nodeArgs = (id) => ['--demo', '--redis-url', redis.url, '--redis-prefix', 'e2e-demo:', '--node-id', id];

before(async () => {
  redis = await RedisServer.start();
  nodeA = await Server.start({ args: nodeArgs('a') });
  nodeB = await Server.start({ args: nodeArgs('b') });
  browser = await launchBrowser();
});
after(async () => {
  if (browser) await browser.close();
  for (const s of [nodeA, nodeB]) if (s) await s.stop();
  if (redis) await redis.stop();
});

async function login(name) {
  const page = await browser.open(nodeA.url('/demo/'));
  await page.type('#user', name);
  await page.click('#login button');
  await waitForText(page, '#state', new RegExp(`connected as ${name}`));
  await page.waitForSelector('#chat:not([hidden])');
  return page;
}

// How many messages of the room shown read `text` (the sender's name, then the text).
function count(page, text) {
  return page.$$eval('#messages li', (items, t) => items.filter((li) => li.textContent.endsWith(t)).length, text);
}

async function send(page, text) {
  await page.type('#text', text);
  await page.keyboard.press('Enter');
}

describe('the demo chat', () => {
  let alice;
  let bob;

  test('two pages: presence, typing, messages; a late joiner gets the history', async () => {
    await withScreenshots(browser, 'demo-chat', async () => {
      alice = await login('alice');
      bob = await login('bob');
      await eventually(async () => assert.ok(await bob.$('#presence li[data-user="alice"]')), { what: 'alice in bob\'s list' });
      await eventually(async () => assert.ok(await alice.$('#presence li[data-user="bob"]')), { what: 'bob in alice\'s list' });

      await alice.type('#text', 'hel');
      await waitForText(bob, '#typing', /alice is typing/);
      await alice.keyboard.press('Enter');  // sends "hel"
      await send(alice, 'lo bob');
      await eventually(async () => {
        assert.equal(await count(bob, 'lo bob'), 1);
        assert.equal(await count(alice, 'lo bob'), 1, 'the sender sees it once');
      }, { what: 'the message at both pages' });
      assert.match(await bob.$eval('#messages li:last-child b', (b) => b.textContent), /^alice$/);
      await send(bob, 'hi alice');
      await eventually(async () => assert.equal(await count(alice, 'hi alice'), 1), { what: 'alice got the answer' });
      await waitForText(bob, '#typing', /^$/);  // the message ended alice's typing indicator

      const carol = await login('carol');
      await eventually(async () => {
        assert.equal(await count(carol, 'lo bob'), 1);
        assert.equal(await count(carol, 'hi alice'), 1);
      }, { what: 'the history on join' });
      await carol.close();
      await eventually(async () => assert.equal(await bob.$('#presence li[data-user="carol"]'), null),
        { what: 'carol left bob\'s list', timeoutMs: 15000 });
      for (const p of [alice, bob]) assert.deepEqual(p.problems, []);
    });
  });

  test('their node restarts: both pages recover what was sent meanwhile, once each', async () => {
    await withScreenshots(browser, 'demo-restart', async () => {
      const port = nodeA.port;
      await nodeA.stop();
      for (const p of [alice, bob]) await p.waitForSelector('#banner:not([hidden])', { timeout: 10000 });
      // Meanwhile: published on the other node, and typed on a page that has no connection
      // (the SDK queues it).
      const res = await nodeB.api('POST', '/api/publish', { channel: 'demo:general', type: 'message.new', payload: { text: 'while you were away' } });
      assert.equal(res.status, 200, res.text);
      await send(alice, 'queued offline');
      nodeA = await Server.start({ port, args: nodeArgs('a') });
      for (const p of [alice, bob]) {
        await p.waitForSelector('#banner[hidden]', { timeout: 30000 });
        await eventually(async () => {
          assert.equal(await count(p, 'while you were away'), 1);
          assert.equal(await count(p, 'queued offline'), 1);
        }, { what: 'the messages of the outage', timeoutMs: 10000 });
        assert.equal(await count(p, 'lo bob'), 1, 'nothing doubled');
        assert.equal(await count(p, 'hi alice'), 1, 'nothing doubled');
        assert.equal(await p.$eval('#notice', (n) => n.hidden), true, await textOf(p, '#notice'));
      }
      await send(bob, 'back again');
      await eventually(async () => assert.equal(await count(alice, 'back again'), 1), { what: 'live after the restart' });
    });
  });
});
