// The operators' dashboard (/dashboard/, web/dashboard) in real headless Chromium: the key
// from the link, the live numbers from the metrics stream, which move when load is applied
// (connections and messages per second), the per-worker table, the engine's health; a wrong
// key is told. With SB_DASHBOARD_SCREENSHOT=path it also writes the picture docs/ shows.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { launchBrowser, textOf, waitForText, withScreenshots } from './browser_support.mjs';

const require = createRequire(import.meta.url);
const { Server, Client, eventually } = require('../e2e/support.js');

let server;
let browser;
before(async () => {
  server = await Server.start({ args: ['--demo'] });
  browser = await launchBrowser();
});
after(async () => {
  await Client.closeAll();
  if (browser) await browser.close();
  if (server) await server.stop();
});

const number = async (page, id) => Number((await textOf(page, `#${id}`)).replace(/[^0-9.]/g, ''));

test('the numbers move when load is applied', async () => {
  const page = await browser.open(server.url(`/dashboard/#key=${server.apiKey}`));
  await withScreenshots(browser, 'dashboard', async () => {
    await waitForText(page, '#status', /^live$/);
    await eventually(async () => assert.equal(await number(page, 'connections'), 1), { what: 'the dashboard itself' });
    assert.equal(await page.$$eval('#workers tbody tr', (rows) => rows.length), 2);

    const clients = [];
    for (let i = 0; i < 10; i++) clients.push(await Client.authed(server, `load-${i}`));
    for (const c of clients) await c.subscribe(['demo:load']);
    await eventually(async () => {
      assert.equal(await number(page, 'connections'), 11);
      assert.equal(await number(page, 'users'), 10);
      assert.equal(await number(page, 'subscriptions'), 20);  // demo:load and each one's user room
    }, { what: 'the clients counted', timeoutMs: 10000 });

    // Load: each client publishes to the room every 50 ms; every publish reaches all ten.
    const timer = setInterval(() => {
      for (const c of clients) c.send({ type: 'publish', payload: { channel: 'demo:load', data: { n: 1 } } });
    }, 50);
    try {
      await eventually(async () => {
        assert.ok(await number(page, 'in-rate') > 20, await textOf(page, '#in-rate'));
        assert.ok(await number(page, 'out-rate') > 200, await textOf(page, '#out-rate'));
        assert.ok(await number(page, 'deliveries-rate') > 200, await textOf(page, '#deliveries-rate'));
      }, { what: 'the rates under load', timeoutMs: 10000 });
      const workers = await page.$$eval('#workers tbody tr td:nth-child(2)', (tds) => tds.map((td) => Number(td.textContent)));
      assert.equal(workers.reduce((a, b) => a + b, 0), 11);
      assert.ok(await page.$('#chart-rates canvas'), 'the chart is drawn');
      if (process.env.SB_DASHBOARD_SCREENSHOT) {
        await page.screenshot({ path: process.env.SB_DASHBOARD_SCREENSHOT, fullPage: true });
      }
    } finally {
      clearInterval(timer);
    }
    await eventually(async () => assert.equal(await number(page, 'in-rate'), 0), { what: 'the rate back to 0', timeoutMs: 10000 });
    for (const c of clients) await c.close();
    await eventually(async () => assert.equal(await number(page, 'connections'), 1), { what: 'the clients gone', timeoutMs: 10000 });
    assert.match(await textOf(page, '#health tbody'), /up/);
    assert.deepEqual(page.problems, []);
  });
});

test('a wrong key is told, and the form asks for another', async () => {
  const page = await browser.open(server.url('/dashboard/#key=wrong'));
  await withScreenshots(browser, 'dashboard-wrong-key', async () => {
    await waitForText(page, '#status', /wrong API key/);
    await page.waitForSelector('#key-form:not([hidden])');
    await page.type('#api-key', server.apiKey);
    await page.click('#key-form button');
    await waitForText(page, '#status', /^live$/);
  });
});
