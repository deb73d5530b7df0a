// Headless Chromium for the page tests: Debian's `chromium` (never a downloaded browser) driven
// by puppeteer-core, and a screenshot of every open page when a test fails.
//
//   const browser = await launchBrowser();            SB_CHROMIUM, else /usr/bin/chromium
//   const page = await browser.open(url)              a new page, console errors collected
//   page.problems                                     page errors and console errors so far
//   await browser.screenshotAll(name)                 PNGs into SB_SCREENSHOT_DIR (ctest sets it
//                                                     under the build directory), else a temp dir
//   await browser.close()
//   textOf(page, selector) -> Promise<string>         '' when absent
//   waitForText(page, selector, pattern, timeoutMs)   until the element's text matches
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import puppeteer from 'puppeteer-core';

const EXECUTABLE = process.env.SB_CHROMIUM || '/usr/bin/chromium';
const SHOTS = process.env.SB_SCREENSHOT_DIR || path.join(os.tmpdir(), 'sb-browser-screenshots');

export async function launchBrowser() {
  const browser = await puppeteer.launch({
    executablePath: EXECUTABLE,
    headless: true,
    // root in CI: no sandbox; a container's /dev/shm is small.
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', '--no-first-run',
      '--disable-background-timer-throttling', '--disable-renderer-backgrounding'],
  });
  const pages = [];
  return {
    async open(url) {
      const page = await browser.newPage();
      page.problems = [];
      page.on('pageerror', (err) => page.problems.push(`pageerror: ${err.message}`));
      page.on('console', (msg) => { if (msg.type() === 'error') page.problems.push(`console: ${msg.text()}`); });
      await page.setViewport({ width: 1200, height: 800 });
      await page.goto(url, { waitUntil: 'load' });
      pages.push(page);
      return page;
    },
    async screenshotAll(name) {
      fs.mkdirSync(SHOTS, { recursive: true });
      const written = [];
      for (const [i, page] of pages.entries()) {
        const file = path.join(SHOTS, `${name.replace(/[^A-Za-z0-9_-]+/g, '_')}-${i}.png`);
        try {
          await page.screenshot({ path: file, fullPage: true });
          written.push(file);
        } catch {
          // a closed page
        }
      }
      return written;
    },
    close: () => browser.close(),
    raw: browser,
  };
}

export function textOf(page, selector) {
  return page.$eval(selector, (el) => el.textContent).catch(() => '');
}

export async function waitForText(page, selector, pattern, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    last = await textOf(page, selector);
    if (pattern.test(last)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${selector}: "${last}" never matched ${pattern} within ${timeoutMs} ms`);
}

// Runs `body`; on failure writes screenshots and adds their paths to the error.
export async function withScreenshots(browser, name, body) {
  try {
    return await body();
  } catch (err) {
    const files = await browser.screenshotAll(name);
    err.message += `\nscreenshots: ${files.join(', ') || 'none'}`;
    throw err;
  }
}
