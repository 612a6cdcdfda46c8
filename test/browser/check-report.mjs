// Open an HTML report in headless Chromium and check that it renders: no console or page errors,
// no failed or external requests, and every <figure> holds an <svg> that has a size and marks and
// no label running past its edge.
// Usage: node test/browser/check-report.mjs REPORT.html SCREENSHOT.png
// Prints a one-line JSON summary; exits 1 on any failure.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const VIEWPORT = { width: 1200, height: 900 };

const [report, screenshot] = process.argv.slice(2);
if (!report || !screenshot) {
  console.log(
    JSON.stringify({ ok: false, failures: ['usage: node test/browser/check-report.mjs REPORT.html SCREENSHOT.png'] }),
  );
  process.exit(1);
}

const summary = {
  ok: false,
  report: resolve(report),
  screenshot: resolve(screenshot),
  figures: 0,
  marks: 0,
  console_errors: [],
  page_errors: [],
  failed_requests: [],
  external_requests: [],
  failures: [],
};

const userDataDir = mkdtempSync(join(tmpdir(), 'l2bench-chromium-'));
let context;
try {
  statSync(report);
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: VIEWPORT,
    offline: true,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (msg) => {
    if (msg.type() === 'error') summary.console_errors.push(msg.text());
  });
  page.on('pageerror', (err) => summary.page_errors.push(String(err.message ?? err)));
  page.on('requestfailed', (req) =>
    summary.failed_requests.push(`${req.url()}: ${req.failure()?.errorText ?? 'failed'}`),
  );
  page.on('request', (req) => {
    const url = req.url();
    if (!url.startsWith('file:') && !url.startsWith('data:') && !url.startsWith('about:'))
      summary.external_requests.push(url);
  });

  await page.goto(pathToFileURL(resolve(report)).href, { waitUntil: 'load' });

  const result = await page.evaluate(() => {
    const figures = [...document.querySelectorAll('figure')].map((fig, i) => {
      const svg = fig.querySelector('svg');
      const name = (fig.querySelector('figcaption')?.textContent ?? `figure ${i + 1}`).trim().slice(0, 80);
      if (!svg) return { name, problem: 'no <svg>' };
      const box = svg.getBoundingClientRect();
      // Marks drawn by the chart itself, not its legend swatches.
      const marks = [...svg.querySelectorAll('path, circle, rect')].filter((el) => !el.closest('.legend')).length;
      if (!(box.width > 0 && box.height > 0)) return { name, marks, problem: `empty box ${box.width}x${box.height}` };
      if (marks === 0) return { name, marks, problem: 'no marks (path/circle/rect)' };
      // A label that runs past the SVG's edge is clipped in the page ("…nt_pool=0"): measured, not estimated.
      const clipped = [...svg.querySelectorAll('text')].filter((t) => {
        const b = t.getBoundingClientRect();
        return (
          b.width > 0 &&
          (b.left < box.left - 1 || b.right > box.right + 1 || b.top < box.top - 1 || b.bottom > box.bottom + 1)
        );
      });
      if (clipped.length)
        return {
          name,
          marks,
          problem: `labels clipped by the chart's edge: ${clipped.map((t) => JSON.stringify(t.textContent)).join(', ')}`,
        };
      return { name, marks, problem: null };
    });
    const doc = document.documentElement;
    return {
      title: document.title,
      figures,
      overflow: doc.scrollWidth > window.innerWidth ? doc.scrollWidth - window.innerWidth : 0,
    };
  });

  summary.figures = result.figures.length;
  summary.marks = result.figures.reduce((n, f) => n + (f.marks ?? 0), 0);
  if (!result.title) summary.failures.push('no <title>');
  if (result.figures.length === 0) summary.failures.push('no <figure>');
  for (const f of result.figures) if (f.problem) summary.failures.push(`${f.name}: ${f.problem}`);
  if (result.overflow > 0)
    summary.failures.push(`page is ${result.overflow}px wider than a ${VIEWPORT.width}px window`);

  // A report of every platform is tens of thousands of pixels tall: its screenshot takes longer than the default 30 s.
  await page.screenshot({ path: screenshot, fullPage: true, timeout: 180_000 });
} catch (e) {
  summary.failures.push(String(e?.message ?? e).split('\n')[0]);
} finally {
  await context?.close().catch(() => {});
  rmSync(userDataDir, { recursive: true, force: true });
}

if (summary.console_errors.length) summary.failures.push(`${summary.console_errors.length} console error(s)`);
if (summary.page_errors.length) summary.failures.push(`${summary.page_errors.length} page error(s)`);
if (summary.failed_requests.length) summary.failures.push(`${summary.failed_requests.length} failed request(s)`);
if (summary.external_requests.length) summary.failures.push(`${summary.external_requests.length} external request(s)`);
summary.ok = summary.failures.length === 0;
console.log(JSON.stringify(summary));
process.exit(summary.ok ? 0 : 1);
