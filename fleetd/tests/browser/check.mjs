// The page in a real browser, driven through playwright-core against the
// system's Chromium (never a downloaded browser): run by
// fleetd/tests/deploy/browser.rs, which starts fleetd and passes
//
//   node check.mjs <chromium> <overflow|axe> <url>...
//
// overflow: at 1400 px and 390 px wide, no element sticks out of its card
//           (.card) or of its table cell (td, th).
// axe:      axe-core on each page: no violation of impact serious or
//           critical.
// refresh:  the page's auto-refresh revalidates: its first refresh fetch
//           goes out with If-None-Match and the server answers 304.
// Prints one JSON object (the findings) and exits 1 if there are any,
// 2 on a usage or browser error.
import { chromium } from 'playwright-core';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';

const require = createRequire(import.meta.url);
const [executablePath, mode, ...urls] = process.argv.slice(2);
if (!executablePath || !['overflow', 'axe', 'refresh'].includes(mode) || urls.length === 0) {
  console.error('usage: node check.mjs <chromium> <overflow|axe|refresh> <url>...');
  process.exit(2);
}

const WIDTHS = [1400, 390];

// Runs in the page: every visible element inside a card or a cell whose box
// goes past the container's padding box (half a pixel of rounding allowed),
// and every card or cell whose own content is wider than it (clipped).
function findOverflow() {
  const found = [];
  const describe = (el) => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += '#' + el.id;
    if (el.classList.length) s += '.' + [...el.classList].join('.');
    const text = (el.textContent || '').trim().replace(/\s+/g, ' ').slice(0, 40);
    return text ? `${s} "${text}"` : s;
  };
  const containers = document.querySelectorAll('.card, td, th');
  for (const box of containers) {
    const r = box.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    const cs = getComputedStyle(box);
    const inner = {
      left: r.left + parseFloat(cs.borderLeftWidth),
      right: r.right - parseFloat(cs.borderRightWidth),
    };
    if (box.scrollWidth > box.clientWidth + 1) {
      found.push({ container: describe(box), element: describe(box),
        why: `content ${box.scrollWidth} px wide in ${box.clientWidth} px` });
    }
    for (const el of box.querySelectorAll('*')) {
      const e = el.getBoundingClientRect();
      if (e.width === 0 || e.height === 0) continue;
      if (getComputedStyle(el).visibility === 'hidden') continue;
      if (e.right > inner.right + 0.5 || e.left < inner.left - 0.5) {
        found.push({ container: describe(box), element: describe(el),
          why: `element ${Math.round(e.left)}..${Math.round(e.right)} outside ${Math.round(inner.left)}..${Math.round(inner.right)}` });
      }
    }
  }
  return found;
}

const browser = await chromium.launch({
  executablePath,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
const findings = [];
let exit = 0;
try {
  if (mode === 'overflow') {
    for (const width of WIDTHS) {
      const page = await browser.newPage({ viewport: { width, height: 900 } });
      for (const url of urls) {
        const response = await page.goto(url, { waitUntil: 'load' });
        const cards = await page.locator('.card').count();
        const cells = await page.locator('td, th').count();
        if (cards + cells === 0) {
          findings.push({ url, width, why: 'no card or cell to check (HTTP ' + response.status() + ')' });
        }
        for (const f of await page.evaluate(findOverflow)) findings.push({ url, width, ...f });
      }
      await page.close();
    }
  } else if (mode === 'refresh') {
    for (const url of urls) {
      const page = await browser.newPage();
      // What the server answered (the page's fetch sees the cached 200 a
      // 304 revalidated): Chromium's own network events.
      const cdp = await page.context().newCDPSession(page);
      await cdp.send('Network.enable');
      // Network.responseReceived reports a revalidated response as the
      // cached 200; the ExtraInfo event has the status line the server sent.
      const fetches = new Set();
      const wire = new Map();
      cdp.on('Network.requestWillBeSent', (e) => {
        if (e.type === 'Fetch' && e.request.url === url) fetches.add(e.requestId);
      });
      cdp.on('Network.responseReceivedExtraInfo', (e) => wire.set(e.requestId, e.statusCode));
      await page.goto(url, { waitUntil: 'load' });
      // The first refresh: fleet.js fetches the page's own URL.
      const response = await page.waitForResponse(
        (r) => r.request().resourceType() === 'fetch' && r.url() === url,
        { timeout: 30000 });
      const sent = await response.request().allHeaders();
      const tag = sent['if-none-match'];
      await page.waitForTimeout(200);
      const statuses = [...fetches].map((id) => wire.get(id));
      if (!tag || statuses[0] !== 304) {
        findings.push({ url, why: `refresh fetch: server status ${statuses.join(',') || 'none seen'}, If-None-Match ${tag || 'not sent'}` });
      }
      await page.close();
    }
  } else {
    // fleetd's CSP allows no inline script: axe is injected past it.
    const context = await browser.newContext({ bypassCSP: true, viewport: { width: 1400, height: 900 } });
    const axe = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
    for (const url of urls) {
      const page = await context.newPage();
      await page.goto(url, { waitUntil: 'load' });
      await page.addScriptTag({ content: axe });
      const result = await page.evaluate(() => window.axe.run(document, {
        resultTypes: ['violations'],
      }));
      for (const v of result.violations) {
        if (v.impact === 'serious' || v.impact === 'critical') {
          findings.push({
            url, rule: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ') + ': ' + n.failureSummary),
          });
        }
      }
      await page.close();
    }
    await context.close();
  }
} catch (err) {
  console.error(err && err.stack ? err.stack : String(err));
  exit = 2;
} finally {
  await browser.close();
}
console.log(JSON.stringify({ mode, urls, findings }, null, 1));
process.exit(exit || (findings.length > 0 ? 1 : 0));
