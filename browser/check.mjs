#!/usr/bin/env node
// Browser checks for the broadsheet binary: see browser/README.md.
//
//   node browser/check.mjs --bin target/release/broadsheet [--database-url URL] [--out DIR] [--keep] [--no-reader-journey]
//   node browser/check.mjs --self-test --url http://127.0.0.1:8000/page.html [--url ...] [--expect-status N]
//
// Prints one line per check (PASS/FAIL) and, last, "N passed, M failed" alone
// on a line. Exits 1 if any check failed.

import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const HERE = path.dirname(fileURLToPath(import.meta.url));

const CHROMIUM = process.env.BROADSHEET_CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];
const VIEWPORT = { width: 390, height: 844 };
// Every page is screenshotted and checked at these widths, in both schemes.
const WIDTHS = [390, 768, 1280];
const SCHEMES = ['light', 'dark'];
// Page types whose transferred bytes are measured.
const WEIGHED = ['home', 'section', 'story', 'tag', 'author'];
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'];
const TEMPLATE_MARKERS = [/\[\[/, /\]\]/, /\{\{/, /\}\}/, /\{%/, /%\}/];
const STORY_PATH = /^\/[a-z0-9-]+(\/[a-z0-9-]+)*\/[a-z0-9-]+-[0-9]+$/;
const DEMO_STORIES = '60';
const HEALTH_TIMEOUT_MS = 30_000;
const SHUTDOWN_TIMEOUT_MS = 10_000;
const WITHDRAW_PROPAGATION_MS = 5_000;
const COMMAND_TIMEOUT_MS = 300_000;

// ---------------------------------------------------------------- arguments

function usage(msg) {
  if (msg) console.error(`check.mjs: ${msg}`);
  console.error(
    'usage: node browser/check.mjs --bin PATH [--database-url URL] [--out DIR] [--keep] [--no-reader-journey]\n' +
      '       node browser/check.mjs --self-test --url URL [--url URL ...] [--expect-status N] [--out DIR]',
  );
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { urls: [], out: path.join(HERE, 'out'), selfTest: false, keep: false, expectStatus: 200 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    switch (a) {
      case '--bin': opts.bin = value(); break;
      case '--database-url': opts.databaseUrl = value(); break;
      case '--out': opts.out = path.resolve(value()); break;
      case '--url': opts.urls.push(value()); break;
      case '--expect-status': opts.expectStatus = Number(value()); break;
      case '--self-test': opts.selfTest = true; break;
      case '--keep': opts.keep = true; break;
      case '--no-reader-journey': opts.noJourney = true; break;
      case '-h': case '--help': usage(); break;
      default: usage(`unknown argument ${a}`);
    }
  }
  if (opts.selfTest) {
    if (opts.urls.length === 0) usage('--self-test needs at least one --url');
  } else if (!opts.bin) {
    usage('--bin is required');
  }
  return opts;
}

// ---------------------------------------------------------------- reporting

let passed = 0;
let failed = 0;

function pass(name, detail = '') {
  passed++;
  console.log(`PASS ${name}${detail ? `: ${detail}` : ''}`);
}

function fail(name, detail = '', extra = []) {
  failed++;
  console.log(`FAIL ${name}${detail ? `: ${detail}` : ''}`);
  for (const line of extra) console.log(`     ${line}`);
}

function check(name, ok, detail, extra) {
  if (ok) pass(name, detail);
  else fail(name, detail, extra);
  return ok;
}

function finish() {
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed > 0 ? 1 : 0;
}

// ---------------------------------------------------------------- processes

class Tail {
  constructor(max = 60) {
    this.max = max;
    this.lines = [];
    this.partial = '';
  }
  push(chunk) {
    const parts = (this.partial + chunk.toString('utf8')).split('\n');
    this.partial = parts.pop();
    for (const p of parts) {
      this.lines.push(p);
      if (this.lines.length > this.max) this.lines.shift();
    }
  }
  text() {
    return [...this.lines, this.partial].filter((l) => l !== '');
  }
}

// Runs a command to completion. Resolves { code, signal, tail, error, ms }.
function run(cmd, args, { timeoutMs = COMMAND_TIMEOUT_MS, logFile } = {}) {
  return new Promise((resolve) => {
    const started = Date.now();
    const tail = new Tail(40);
    const log = logFile ? fs.createWriteStream(logFile) : null;
    let child;
    try {
      child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      resolve({ code: null, signal: null, tail, error, ms: 0 });
      return;
    }
    const onData = (d) => {
      tail.push(d);
      log?.write(d);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const timer = setTimeout(() => {
      tail.push(`\n[check.mjs: timed out after ${timeoutMs} ms, killing]\n`);
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      log?.end();
      resolve({ code: null, signal: null, tail, error, ms: Date.now() - started });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      log?.end();
      resolve({ code, signal, tail, ms: Date.now() - started });
    });
  });
}

function describeExit(r) {
  if (r.error) return `could not run: ${r.error.message}`;
  if (r.signal) return `killed by ${r.signal}`;
  return `exit code ${r.code}`;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

class Server {
  constructor(bin, args, logFile) {
    this.tail = new Tail(60);
    this.log = fs.createWriteStream(logFile);
    this.exited = null;
    this.child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const onData = (d) => {
      this.tail.push(d);
      this.log.write(d);
    };
    this.child.stdout.on('data', onData);
    this.child.stderr.on('data', onData);
    this.exitPromise = new Promise((resolve) => {
      this.child.on('error', (error) => {
        this.exited = { code: null, signal: null, error };
        resolve(this.exited);
      });
      this.child.on('exit', (code, signal) => {
        this.exited = { code, signal };
        resolve(this.exited);
      });
    });
  }
  async waitExit(ms) {
    let timer;
    const timeout = new Promise((resolve) => {
      timer = setTimeout(() => resolve(null), ms);
    });
    try {
      return await Promise.race([this.exitPromise, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
  kill9() {
    if (!this.exited) {
      try {
        this.child.kill('SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }
}

// ---------------------------------------------------------------- HTTP

async function get(url, { timeoutMs = 15_000 } = {}) {
  const res = await fetch(url, { redirect: 'follow', signal: AbortSignal.timeout(timeoutMs) });
  const body = Buffer.from(await res.arrayBuffer());
  return { status: res.status, url: res.url, body, text: body.toString('utf8'), headers: res.headers };
}

async function waitHealthy(base, server) {
  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (server.exited) return { ok: false, why: `the server exited early (${describeExit(server.exited)})` };
    try {
      const r = await get(`${base}/healthz`, { timeoutMs: 2_000 });
      if (r.status === 200) return { ok: true };
      last = `HTTP ${r.status}`;
    } catch (e) {
      last = e.cause?.code || e.message;
    }
    await sleep(200);
  }
  return { ok: false, why: `GET /healthz did not return 200 within ${HEALTH_TIMEOUT_MS / 1000} s (last: ${last})` };
}

// ---------------------------------------------------------------- browser

async function launchBrowser(javaScriptEnabled, deviceScaleFactor = 1) {
  const { chromium } = await import('playwright-core');
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'bs-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: VIEWPORT,
    deviceScaleFactor,
    javaScriptEnabled,
    // axe is injected as an inline script; a strict CSP on the page must not block it.
    bypassCSP: javaScriptEnabled,
  });
  // Every page's requests are tracked, so `settle` can wait for them
  // without counting the page's own EventSource (`/events`, open for as
  // long as the page is: Playwright's 'networkidle' would never come).
  for (const p of context.pages()) trackRequests(p);
  context.on('page', trackRequests);
  return { context, profile };
}

function trackRequests(page) {
  const inflight = new Set();
  page.on('request', (r) => {
    if (r.resourceType() !== 'eventsource') inflight.add(r);
  });
  const done = (r) => inflight.delete(r);
  page.on('requestfinished', done);
  page.on('requestfailed', done);
  page.bsInflight = inflight;
}

// Waits until the page has had no request in flight (other than its
// EventSource) for half a second, or `timeout` ms have passed.
async function settle(page, timeout = 15_000) {
  const inflight = page.bsInflight;
  if (!inflight) {
    await page.waitForLoadState('networkidle', { timeout }).catch(() => {});
    return;
  }
  const end = Date.now() + timeout;
  let quietSince = Date.now();
  while (Date.now() < end) {
    if (inflight.size > 0) quietSince = Date.now();
    else if (Date.now() - quietSince >= 500) return;
    await page.waitForTimeout(100);
  }
}

// Parses HTML in the browser (no scripts run, nothing is fetched) and returns
// the absolute hrefs of the elements matching each selector.
async function linksIn(parserPage, html, baseUrl, selectors) {
  return parserPage.evaluate(
    ({ html, baseUrl, selectors }) => {
      const doc = new DOMParser().parseFromString(html, 'text/html');
      const out = {};
      for (const [key, sel] of Object.entries(selectors)) {
        out[key] = [...doc.querySelectorAll(sel)]
          .map((a) => {
            try {
              return new URL(a.getAttribute('href'), baseUrl).href;
            } catch {
              return null;
            }
          })
          .filter(Boolean);
      }
      return out;
    },
    { html, baseUrl, selectors },
  );
}

function segments(u) {
  return new URL(u).pathname.split('/').filter(Boolean);
}

function sameOrigin(u, origin) {
  try {
    return new URL(u).origin === origin;
  } catch {
    return false;
  }
}

function markerHits(html) {
  const hits = [];
  const lines = html.split('\n');
  lines.forEach((line, i) => {
    for (const re of TEMPLATE_MARKERS) {
      const m = re.exec(line);
      if (m) {
        const from = Math.max(0, m.index - 30);
        hits.push(`line ${i + 1}: ${m[0]} in ${JSON.stringify(line.slice(from, m.index + 32))}`);
      }
    }
  });
  return hits;
}

// One page: raw HTML checks, then a JS-disabled render, then axe in a JS-enabled context.
async function checkPage(target, ctx) {
  const { type, url, status: expected } = target;
  const origin = new URL(url).origin;

  // Raw HTML, as served.
  let raw;
  try {
    raw = await get(url);
  } catch (e) {
    fail(`${type} fetch`, `${url}: ${e.cause?.code || e.message}`);
    return;
  }
  fs.writeFileSync(path.join(ctx.htmlDir, `${type}.html`), raw.body);
  ctx.htmlFiles.push({ type, file: path.join(ctx.htmlDir, `${type}.html`), url });
  const hits = markerHits(raw.text);
  check(`${type} no template markers`, hits.length === 0, hits.length ? `${hits.length} found in ${url}` : url, hits.slice(0, 10));

  // Rendered with JavaScript disabled, as a phone.
  const page = await ctx.noJs.newPage();
  const requests = [];
  const broken = new Map();
  page.on('request', (r) => requests.push(r.url()));
  page.on('requestfailed', (r) => {
    const why = r.failure()?.errorText ?? 'failed';
    // Cancelled by the browser, not refused by the server: a lazy picture
    // still loading when the page closes, or a srcset candidate dropped when
    // the next screenshot width picks another one. Server errors still count
    // (as HTTP statuses below, or as connection errors here).
    if (why === 'net::ERR_ABORTED') return;
    if (!broken.has(r.url())) broken.set(r.url(), why);
  });
  page.on('response', (r) => {
    // The document itself may be a 404/410 on purpose; its subresources may not.
    if (r.request().isNavigationRequest()) return;
    if (r.status() >= 400) broken.set(r.url(), `HTTP ${r.status()}`);
  });
  try {
    const res = await page.goto(url, { waitUntil: 'load', timeout: 30_000 });
    const got = res ? res.status() : 'no response';
    check(`${type} status`, got === expected, `${url} -> ${got} (expected ${expected})`);
    const h1 = await page.locator('h1').count();
    check(`${type} one h1`, h1 === 1, `${h1} <h1> element(s)`);
    fs.mkdirSync(ctx.out, { recursive: true });
    // Screenshots at each width, in both colour schemes (kept as artefacts).
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: 900 });
      for (const colorScheme of SCHEMES) {
        await page.emulateMedia({ colorScheme });
        const shot = path.join(ctx.out, `${type}-${width}-${colorScheme}.png`);
        await page.screenshot({ path: shot, fullPage: true });
      }
    }
    await page.emulateMedia({ colorScheme: 'light' });
    pass(`${type} screenshots`, `${WIDTHS.join(', ')} px × ${SCHEMES.join(', ')} in ${path.relative(process.cwd(), ctx.out) || ctx.out}`);
  } catch (e) {
    fail(`${type} render`, `${url}: ${e.message.split('\n')[0]}`);
  } finally {
    await page.close();
  }

  // axe, with JavaScript enabled (needed to run axe), at each width and in
  // both colour schemes.
  for (const width of WIDTHS) {
    for (const colorScheme of SCHEMES) {
      const jsPage = await ctx.js.newPage();
      jsPage.on('request', (r) => requests.push(r.url()));
      const name = `${type} axe ${width} ${colorScheme}`;
      try {
        await jsPage.setViewportSize({ width, height: 900 });
        await jsPage.emulateMedia({ colorScheme });
        await jsPage.goto(url, { waitUntil: 'load', timeout: 30_000 });
        await jsPage.addScriptTag({ path: require.resolve('axe-core') });
        const result = await jsPage.evaluate(
          (tags) =>
            // eslint-disable-next-line no-undef
            axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] }),
          AXE_TAGS,
        );
        const lines = [];
        for (const v of result.violations) {
          lines.push(`${v.id} [${v.impact}] ${v.help} (${v.helpUrl})`);
          for (const n of v.nodes.slice(0, 8)) {
            lines.push(`    ${JSON.stringify(n.target)} ${n.html.replace(/\s+/g, ' ').slice(0, 160)}`);
          }
          if (v.nodes.length > 8) lines.push(`    ... and ${v.nodes.length - 8} more`);
        }
        check(name, result.violations.length === 0, `${result.violations.length} violation(s)`, lines);
      } catch (e) {
        fail(name, `${url}: ${e.message.split('\n')[0]}`);
      } finally {
        await jsPage.close();
      }
    }
  }

  // Pictures: every <img> states `sizes`, and no rendition the browser chose
  // is more than twice the device pixels it is shown at (DPR 1 and 2).
  if (expected === 200) {
    for (const dpr of [1, 2]) {
      for (const width of WIDTHS) {
        await checkPictures(ctx, type, url, width, dpr, requests);
      }
    }
  }

  const foreign = [...new Set(requests.filter((u) => !/^(data|blob|about):/.test(u) && !sameOrigin(u, origin)))];
  check(`${type} same-origin requests`, foreign.length === 0, `${new Set(requests).size} distinct request(s), ${foreign.length} to another origin`, foreign.slice(0, 20));
  for (const u of broken.keys()) if (!sameOrigin(u, origin)) broken.delete(u);
  const brokenList = [...broken].map(([u, why]) => `${u} (${why})`);
  check(`${type} subresources load`, brokenList.length === 0, `${brokenList.length} failed`, brokenList.slice(0, 20));
}

// Loads `url` at `width` px and `dpr`, scrolls to the end (so lazy pictures
// load), then checks every <img>: it has `sizes`, its own or its <picture>'s
// source's (the view beacon aside), and
// the file it shows (`currentSrc`, its width taken from the `srcset`
// descriptor) is at most 2× the device pixels of its displayed width.
async function checkPictures(ctx, type, url, width, dpr, requests) {
  const context = dpr === 1 ? ctx.js : ctx.js2x;
  const page = await context.newPage();
  page.on('request', (r) => requests.push(r.url()));
  const name = `${type} pictures ${width}px dpr${dpr}`;
  try {
    await page.setViewportSize({ width, height: 900 });
    await page.goto(url, { waitUntil: 'load', timeout: 30_000 });
    await scrollToEnd(page);
    const imgs = await page.evaluate(() =>
      [...document.querySelectorAll('img')].map((img) => {
        const sets = [img.getAttribute('srcset') || ''];
        const src = img.parentElement?.tagName === 'PICTURE' ? img.parentElement.querySelector('source') : null;
        if (src) sets.push(src.getAttribute('srcset') || '');
        const widths = {};
        for (const set of sets) {
          for (const c of set.split(',')) {
            const [u, d] = c.trim().split(/\s+/);
            if (u && d && d.endsWith('w')) widths[new URL(u, location.href).href] = parseInt(d, 10);
          }
        }
        return {
          html: img.outerHTML.slice(0, 160),
          beacon: img.classList.contains('beacon'),
          // In a <picture>, the WebP <source> states `sizes` (the <img>
          // holds one JPEG for browsers that read neither).
          sizes: src ? src.getAttribute('sizes') : img.getAttribute('sizes'),
          current: img.currentSrc,
          fileWidth: widths[img.currentSrc] ?? null,
          shown: img.getBoundingClientRect().width,
          visible: img.getClientRects().length > 0,
        };
      }),
    );
    const problems = [];
    for (const i of imgs) {
      if (i.beacon) continue;
      if (!i.sizes) problems.push(`no sizes: ${i.html}`);
      if (!i.visible || !i.current || i.shown < 1) continue;
      if (i.fileWidth === null) {
        problems.push(`shows ${i.current}, which its srcset does not name: ${i.html}`);
      } else if (i.fileWidth > 2 * i.shown * dpr) {
        problems.push(`${i.fileWidth} px file shown at ${Math.round(i.shown)} css px × ${dpr}: ${i.current}`);
      }
    }
    const counted = imgs.filter((i) => !i.beacon).length;
    check(name, problems.length === 0, `${counted} picture(s), ${problems.length} problem(s)`, problems.slice(0, 12));
  } catch (e) {
    fail(name, `${url}: ${e.message.split('\n')[0]}`);
  } finally {
    await page.close();
  }
}

async function scrollToEnd(page) {
  for (let i = 0; i < 60; i++) {
    const done = await page.evaluate(() => {
      window.scrollBy(0, window.innerHeight);
      return window.scrollY + window.innerHeight >= document.documentElement.scrollHeight - 2;
    });
    if (done) break;
  }
  await settle(page);
}

// Page weight: bytes transferred (compressed, headers included) for the
// document, CSS and SVG, and for pictures after scrolling to the end, on a
// fresh browser profile at each width. Written to OUT/page-weight.json and
// printed; BENCHMARKS.md "Page weight (issue 11)" reads it.
async function measureWeight(targets, ctx) {
  const rows = [];
  for (const t of targets.filter((x) => x.status === 200 && WEIGHED.includes(x.type))) {
    for (const width of [390, 1280]) {
      const fresh = await launchBrowser(true, 1);
      try {
        const page = await fresh.context.newPage();
        await page.setViewportSize({ width, height: 844 });
        const sizes = [];
        page.on('requestfinished', async (r) => {
          try {
            const s = await r.sizes();
            sizes.push({ type: r.resourceType(), url: r.url(), bytes: s.responseBodySize + s.responseHeadersSize });
          } catch {}
        });
        await page.goto(t.url, { waitUntil: 'load', timeout: 30_000 });
        await settle(page);
        const firstView = sizes.filter((x) => x.type === 'image' && !x.url.includes('/v/')).reduce((a, x) => a + x.bytes, 0);
        await scrollToEnd(page);
        await page.waitForTimeout(300);
        const sum = (f) => sizes.filter(f).reduce((a, x) => a + x.bytes, 0);
        const text = sum((x) => ['document', 'stylesheet', 'script'].includes(x.type) || x.url.endsWith('.svg'));
        const pictures = sum((x) => x.type === 'image' && !x.url.endsWith('.svg') && !x.url.includes('/v/'));
        rows.push({ page: t.type, width, htmlCss: text, picturesFirstView: firstView, picturesScrolled: pictures, total: text + pictures });
        console.log(`# weight ${t.type} ${width}px: HTML+CSS+JS+SVG ${(text / 1024).toFixed(1)} KB, pictures ${(firstView / 1024).toFixed(1)} KB in view, ${(pictures / 1024).toFixed(1)} KB scrolled to the end`);
      } finally {
        await fresh.context.close().catch(() => {});
        fs.rmSync(fresh.profile, { recursive: true, force: true });
      }
    }
  }
  fs.writeFileSync(path.join(ctx.out, 'page-weight.json'), JSON.stringify(rows, null, 2));
  const story = rows.find((r) => r.page === 'story' && r.width === 390);
  if (story) {
    check('story page weight before pictures', story.htmlCss <= 40 * 1024, `${(story.htmlCss / 1024).toFixed(1)} KB at 390 px (goal 40 KB)`);
    check('story page weight scrolled', story.total <= 250 * 1024, `${(story.total / 1024).toFixed(1)} KB at 390 px with pictures (goal 250 KB)`);
  }
}

// Nu HTML Checker over all saved pages, in one java run.
async function checkHtmlValidity(ctx) {
  if (ctx.htmlFiles.length === 0) return;
  let jar;
  try {
    jar = String(require('vnu-jar'));
  } catch (e) {
    fail('html valid', `vnu-jar not installed (${e.message.split('\n')[0]}); run npm ci in browser/`);
    return;
  }
  const r = await run('java', ['-jar', jar, '--errors-only', '--format', 'json', ...ctx.htmlFiles.map((f) => f.file)], {
    timeoutMs: 180_000,
    logFile: path.join(ctx.tmp, 'vnu.json'),
  });
  if (r.error) {
    fail('html valid', `could not run java (${r.error.message}); install a Java runtime (default-jre-headless)`);
    return;
  }
  let report;
  try {
    // vnu writes its JSON report to stderr; the JVM may print notes around it.
    const text = fs.readFileSync(path.join(ctx.tmp, 'vnu.json'), 'utf8');
    report = JSON.parse(text.slice(text.indexOf('{"'), text.lastIndexOf('}') + 1));
  } catch {
    fail('html valid', `vnu gave no JSON report (${describeExit(r)})`, r.tail.text());
    return;
  }
  const byFile = new Map(ctx.htmlFiles.map((f) => [f.file, []]));
  const other = [];
  for (const m of report.messages || []) {
    if (m.type !== 'error' && !(m.type === 'non-document-error')) continue;
    const file = m.url ? fileURLToPath(m.url) : null;
    if (file && byFile.has(file)) byFile.get(file).push(m);
    else other.push(m);
  }
  for (const f of ctx.htmlFiles) {
    const errs = byFile.get(f.file);
    const lines = errs.slice(0, 25).map((m) => `line ${m.lastLine ?? m.firstLine ?? '?'}: ${m.message} | extract: ${JSON.stringify(m.extract ?? '')}`);
    if (errs.length > 25) lines.push(`... and ${errs.length - 25} more`);
    check(`${f.type} html valid`, errs.length === 0, `${errs.length} error(s) from the Nu HTML Checker`, lines);
  }
  if (other.length) {
    fail('html valid (checker)', `${other.length} message(s) not tied to a page`, other.map((m) => `${m.type}: ${m.message}`));
  }
}

// Two Chromium instances: one with JavaScript disabled (what is checked and
// screenshotted), one with it enabled (only to run axe, and to parse HTML).
async function openBrowsers(ctx) {
  const noJs = await launchBrowser(false);
  ctx.closers.push(async () => {
    await noJs.context.close().catch(() => {});
    fs.rmSync(noJs.profile, { recursive: true, force: true });
  });
  const js = await launchBrowser(true);
  ctx.closers.push(async () => {
    await js.context.close().catch(() => {});
    fs.rmSync(js.profile, { recursive: true, force: true });
  });
  const js2x = await launchBrowser(true, 2);
  ctx.closers.push(async () => {
    await js2x.context.close().catch(() => {});
    fs.rmSync(js2x.profile, { recursive: true, force: true });
  });
  ctx.noJs = noJs.context;
  ctx.js = js.context;
  ctx.js2x = js2x.context;
  // Requests to other origins are recorded (and fail the page) but never leave
  // the machine: only loopback, data: and blob: URLs go through.
  for (const c of [ctx.noJs, ctx.js, ctx.js2x]) {
    await c.route(
      (u) => !isLocal(u),
      (route) => route.abort('blockedbyclient'),
    );
  }
}

function isLocal(u) {
  if (/^(data|blob|about):/.test(u.protocol)) return true;
  return ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname);
}

async function closeBrowsers(ctx) {
  while (ctx.closers.length) await ctx.closers.pop()();
}

async function checkAll(targets, ctx) {
  for (const t of targets) {
    await checkPage(t, ctx);
  }
  await checkHtmlValidity(ctx);
}

function newContext(out) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bs-check-'));
  const ctx = { out, tmp, htmlDir: path.join(tmp, 'html'), htmlFiles: [], closers: [] };
  fs.mkdirSync(ctx.htmlDir);
  fs.mkdirSync(out, { recursive: true });
  return ctx;
}


// ---------------------------------------------------------------- newsroom

async function axeOn(page, name, ctx) {
  // Screenshots at each width (the newsroom has the light scheme only).
  if (ctx) {
    const before = page.viewportSize();
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: 900 });
      await page.screenshot({ path: path.join(ctx.out, `${name.replace(/[^a-z0-9]+/gi, '-')}-${width}.png`), fullPage: true });
    }
    if (before) await page.setViewportSize(before);
  }
  await page.addScriptTag({ path: require.resolve('axe-core') });
  const result = await page.evaluate(
    (tags) =>
      // eslint-disable-next-line no-undef
      axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] }),
    AXE_TAGS,
  );
  const lines = result.violations.map((v) => `${v.id} [${v.impact}] ${v.help}: ${v.nodes.map((n) => JSON.stringify(n.target)).slice(0, 5).join(' ')}`);
  check(`${name} axe`, result.violations.length === 0, `${result.violations.length} violation(s)`, lines);
}

// A contributor writes and submits a story, an editor publishes it, and it is
// on the home page: in Chromium, through the newsroom's own forms.
async function newsroomFlow(base, demoLog, ctx) {
  const logins = {};
  for (const line of demoLog.split('\n')) {
    const m = line.match(/^\s+(\w+)\s+(\S+)\s+password\s+(\S+)/);
    if (m) logins[m[1]] = { user: m[2], password: m[3] };
  }
  if (!check('newsroom: demo logins printed', logins.contributor && logins.editor, Object.keys(logins).join(', ') || 'none')) return;
  const page = await ctx.js.newPage();
  const headline = `Lifeboat crew honoured for winter rescue ${Date.now()}`;
  try {
    const signIn = async (who) => {
      await page.goto(`${base}/newsroom/sign-in`, { waitUntil: 'load' });
      await page.fill('#username', logins[who].user);
      await page.fill('#password', logins[who].password);
      await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
      return new URL(page.url()).pathname === '/newsroom';
    };
    check('newsroom: contributor signs in', await signIn('contributor'), page.url());
    await axeOn(page, 'newsroom dashboard', ctx);
    await page.goto(`${base}/newsroom/stories/new`, { waitUntil: 'load' });
    await axeOn(page, 'newsroom editor', ctx);
    await page.fill('#headline', headline);
    await page.fill('#standfirst', 'Volunteers who reached a stranded fishing boat are recognised.');
    await page.fill('#body', 'The crew launched in a force nine gale.\n\nAll four fishermen were brought ashore safely.');
    await page.selectOption('#section', { label: 'News' });
    await Promise.all([page.waitForNavigation(), page.click('button[value=save]')]);
    check('newsroom: draft saved', (await page.content()).includes('Draft created.'), page.url());
    await Promise.all([page.waitForNavigation(), page.click('button[value=submit]')]);
    check('newsroom: submitted for review', (await page.content()).includes('Submitted for review.'), page.url());
    check('newsroom: contributor has no publish button', (await page.$('button[value=publish]')) === null, '');
    await Promise.all([page.waitForNavigation(), page.click('form.signout button:not([name])')]);
    check('newsroom: editor signs in', await signIn('editor'), page.url());
    await Promise.all([page.waitForNavigation(), page.click(`text=${headline}`)]);
    await Promise.all([page.waitForNavigation(), page.click('button[value=publish]')]);
    check('newsroom: editor publishes', (await page.content()).includes('Published'), page.url());
    const home = await get(`${base}/`);
    check('newsroom: the story is on the home page', home.text.includes(headline), `${base}/`);
  } catch (e) {
    fail('newsroom flow', e.message.split('\n')[0]);
  } finally {
    await page.close();
  }
}

// Live pages (issue 12): an editor publishes a free story and marks it live;
// a reader has its page open; an update posted in the newsroom appears on
// the reader's page without a reload (Server-Sent Events); axe on both pages.
async function liveFlow(base, demoLog, ctx) {
  const logins = {};
  for (const line of demoLog.split('\n')) {
    const m = line.match(/^\s+(\w+)\s+(\S+)\s+password\s+(\S+)/);
    if (m) logins[m[1]] = { user: m[2], password: m[3] };
  }
  if (!check('live: demo logins printed', logins.editor, Object.keys(logins).join(', ') || 'none')) return;
  // The desk in a browser of its own: the newsroom flow leaves a staff
  // session in the shared one (its sign-in page would redirect).
  const own = await launchBrowser(true);
  ctx.closers.push(async () => {
    await own.context.close().catch(() => {});
    fs.rmSync(own.profile, { recursive: true, force: true });
  });
  const desk = await own.context.newPage();
  const reader = await ctx.js.newPage();
  const headline = `Storm warning: live updates ${Date.now()}`;
  try {
    await desk.goto(`${base}/newsroom/sign-in`, { waitUntil: 'load' });
    await desk.fill('#username', logins.editor.user);
    await desk.fill('#password', logins.editor.password);
    await Promise.all([desk.waitForNavigation(), desk.click('button[type=submit]')]);
    await desk.goto(`${base}/newsroom/stories/new`, { waitUntil: 'load' });
    await desk.fill('#headline', headline);
    await desk.fill('#standfirst', 'Gales and flooding are expected along the coast.');
    await desk.fill('#body', 'The Met Office has issued an amber warning.');
    await desk.selectOption('#section', { label: 'News' });
    await desk.selectOption('#access', 'free');
    await Promise.all([desk.waitForNavigation(), desk.click('button[value=save]')]);
    await Promise.all([desk.waitForNavigation(), desk.click('button[value=publish]')]);
    const id = new URL(desk.url()).pathname.split('/')[3];
    await desk.goto(`${base}/newsroom/stories/${id}/live`, { waitUntil: 'load' });
    await Promise.all([desk.waitForNavigation(), desk.click('button[value=start]')]);
    check('live: the editor marks the story live', (await desk.content()).includes('The story is live'), desk.url());
    await axeOn(desk, 'newsroom live page', ctx);
    const href = await desk.getAttribute('#reader-link', 'href');
    await reader.goto(`${base}${href}`, { waitUntil: 'load' });
    await reader.evaluate(() => { window.__sameDocument = true; });
    await sleep(500);
    const text = `Coast road closed at Eastcliff ${Date.now()}`;
    await desk.fill('#update-body', text);
    const t0 = Date.now();
    await Promise.all([desk.waitForNavigation(), desk.click('button[value=post]')]);
    const shown = await reader.waitForSelector(`#live-updates li.live-update >> text=${text}`, { timeout: 5_000 }).then(() => true).catch(() => false);
    const same = await reader.evaluate(() => window.__sameDocument === true).catch(() => false);
    check('live: an update appears on an open page without reload', shown && same, `${Date.now() - t0} ms`);
    await axeOn(reader, 'reader live page', ctx);
  } catch (e) {
    fail('live flow', e.message.split('\n')[0]);
  } finally {
    await desk.close();
    await reader.close();
  }
}

// ---------------------------------------------------------------- reader journey

// The fixtures the reader journey needs, started by this script: aiosmtpd (the
// SMTP sink the server mails through) and localstripe behind
// tests-fixtures/stripe_shim.py (checkout; its "Pay" page posts the signed
// checkout.session.completed event to the server's webhook), both from the
// test venv (.venv-test, or $BROADSHEET_TEST_VENV; `bash scripts/test.sh
// browser-sqlite` makes it).
const STRIPE_KEY = 'sk_test_browser';
const STRIPE_HOOK = 'whsec_browser_check';
const STRIPE_PLAN = 'plan_browser_monthly';
const METER_FREE = 2;
const METER_REGISTERED = 3;

function venvPython() {
  const venv = process.env.BROADSHEET_TEST_VENV || path.join(HERE, '..', '.venv-test');
  return path.join(venv, 'bin', 'python');
}

async function waitPort(port, proc, what, ms = 30_000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (proc.exited) return `${what} exited early (${describeExit(proc.exited)}): ${proc.tail.text().slice(-5).join(' | ')}`;
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return null;
    await sleep(200);
  }
  return `${what} did not listen on 127.0.0.1:${port} within ${ms / 1000} s`;
}

// Starts the SMTP sink and the fake Stripe; returns { smtpPort, maildir,
// stripePort, procs } or null (after reporting why).
async function startReaderFixtures(ctx, serverPort) {
  const python = venvPython();
  const probe = await run(python, ['-c', 'import aiosmtpd, localstripe'], { timeoutMs: 60_000 });
  if (!check('reader fixtures installed', probe.code === 0, probe.code === 0 ? python : `aiosmtpd and localstripe are not importable by ${python}: run \`python3 -m venv .venv-test && .venv-test/bin/pip install aiosmtpd localstripe\` at the repository root (or \`bash scripts/test.sh browser-sqlite\`, which does it)`)) return null;
  const smtpPort = await freePort();
  // aiosmtpd's Mailbox makes the Maildir itself; it must not exist yet.
  const maildir = path.join(ctx.tmp, 'maildir');
  const smtp = new Server(python, ['-m', 'aiosmtpd', '-n', '-l', `127.0.0.1:${smtpPort}`, '-c', 'aiosmtpd.handlers.Mailbox', maildir], path.join(ctx.out, 'smtp.log'));
  ctx.closers.push(async () => {
    smtp.kill9();
    await smtp.waitExit(5_000);
    smtp.log.end();
  });
  const stripePort = await freePort();
  const stripe = new Server(python, [path.join(HERE, '..', 'tests-fixtures', 'stripe_shim.py'), '--port', String(stripePort), '--webhook-url', `http://127.0.0.1:${serverPort}/webhooks/stripe`, '--webhook-secret', STRIPE_HOOK], path.join(ctx.out, 'stripe.log'));
  ctx.closers.push(async () => {
    stripe.kill9();
    await stripe.waitExit(5_000);
    stripe.log.end();
  });
  const why = (await waitPort(smtpPort, smtp, 'aiosmtpd')) || (await waitPort(stripePort, stripe, 'the fake Stripe'));
  if (!check('reader fixtures start', !why, why || `SMTP sink on ${smtpPort}, fake Stripe on ${stripePort}`)) return null;
  return { smtpPort, maildir, stripePort };
}

// The messages the sink received for `to` (quoted-printable soft breaks and =3D undone).
function mailTo(maildir, to) {
  const dir = path.join(maildir, 'new');
  let names = [];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .map((n) => fs.readFileSync(path.join(dir, n), 'utf8').replace(/=\r?\n/g, '').replace(/=3D/g, '='))
    .filter((m) => m.toLowerCase().includes(`to: ${to.toLowerCase()}`));
}

async function waitLink(maildir, to, pathPrefix, ms = 15_000, tokenChars = '0-9a-f') {
  const re = new RegExp(`https?://[^\\s"<>]+${pathPrefix.replace(/[/?]/g, '\\$&')}\\?t=[${tokenChars}]+`);
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    for (const m of mailTo(maildir, to)) {
      const hit = m.match(re);
      if (hit) return hit[0];
    }
    await sleep(200);
  }
  return null;
}

// An anonymous reader's view of each story (no cookie: a fresh meter), to
// tell metered stories (paid, but open on a fresh meter) from the rest, and
// to learn each one's paid text.
async function meteredStories(stories, parser) {
  const out = [];
  for (const u of stories) {
    const r = await get(u);
    const seen = await parser.evaluate((html) => {
      const doc = new DOMParser().parseFromString(html, 'text/html');
      let paidStory = false;
      for (const s of doc.querySelectorAll('script[type="application/ld+json"]')) {
        try {
          const j = JSON.parse(s.textContent);
          for (const o of Array.isArray(j) ? j : [j]) if (o && o.isAccessibleForFree === false) paidStory = true;
        } catch {
          /* not ours */
        }
      }
      const paid = doc.querySelector('.story-paid');
      const paras = paid ? [...paid.querySelectorAll('p')].map((p) => p.textContent.trim()).filter((t) => t.length > 40) : [];
      return { paidStory, prompt: !!doc.querySelector('#paywall-h'), paidText: paras[paras.length - 1] || null };
    }, r.text);
    if (seen.paidStory && !seen.prompt && seen.paidText) out.push({ url: u, paidText: seen.paidText });
  }
  return out;
}

// Story addresses linked from the section fronts named in the home page's
// navigation, leaving out those already in `seen`.
async function sectionFrontStories(base, parser, seen) {
  const home = await get(`${base}/`);
  const h = await linksIn(parser, home.text, `${base}/`, { nav: 'nav:not(.account-links) a[href]' });
  const fronts = [...new Set(h.nav.filter((u) => sameOrigin(u, base) && segments(u).length === 1))];
  const out = new Set();
  for (const f of fronts) {
    const page = await get(f);
    const l = await linksIn(parser, page.text, f, { all: 'a[href]' });
    for (const u of l.all.filter((x) => sameOrigin(x, base)).map((x) => new URL(x))) {
      const url = `${base}${u.pathname}`;
      if (STORY_PATH.test(u.pathname) && !seen.includes(url)) out.add(url);
    }
  }
  return [...out];
}

// Sign up, confirm by the mailed link, read metered stories until the prompt
// (cut on the server: the paid text is not in the DOM), subscribe through the
// fake Stripe's checkout, then read the same story in full. Axe on the
// account, prompt and subscribe pages.
async function readerJourney(base, fx, stories, demoLog, ctx) {
  // A plan: in the provider, then in the newsroom (an admin, through its form).
  const planRes = await fetch(`http://127.0.0.1:${fx.stripePort}/v1/plans`, {
    method: 'POST',
    headers: { authorization: `Bearer ${STRIPE_KEY}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ id: STRIPE_PLAN, amount: '999', currency: 'gbp', interval: 'month', 'product[name]': 'Digital' }),
  });
  if (!check('journey: plan in the fake Stripe', planRes.ok, `HTTP ${planRes.status}`)) return;
  const logins = {};
  for (const line of demoLog.split('\n')) {
    const m = line.match(/^\s+(\w+)\s+(\S+)\s+password\s+(\S+)/);
    if (m) logins[m[1]] = { user: m[2], password: m[3] };
  }
  if (!check('journey: demo admin login printed', !!logins.admin, Object.keys(logins).join(', ') || 'none')) return;
  const parser = await ctx.js.newPage();
  let metered;
  try {
    metered = await meteredStories(stories, parser);
    if (metered.length <= METER_REGISTERED) {
      // The home page links about thirty of the demo's stories and a fifth of
      // the demo's stories are metered, drawn at random: look on the section
      // fronts too (any metered story serves the journey).
      metered = metered.concat(await meteredStories(await sectionFrontStories(base, parser, stories), parser));
    }
  } finally {
    await parser.close();
  }
  if (!check('journey: metered stories on the home page and section fronts', metered.length > METER_REGISTERED, `${metered.length} (need more than ${METER_REGISTERED})`)) return;

  // A browser of its own: nothing from the other checks (meter cookie, sessions).
  const own = await launchBrowser(true);
  ctx.closers.push(async () => {
    await own.context.close().catch(() => {});
    fs.rmSync(own.profile, { recursive: true, force: true });
  });
  await own.context.route((u) => !isLocal(u), (route) => route.abort('blockedbyclient'));
  const page = await own.context.newPage();
  const email = `reader.${Date.now()}@example.com`;
  const go = async (action) => Promise.all([page.waitForNavigation({ timeout: 30_000 }), action]);
  try {
    await page.goto(`${base}/newsroom/sign-in`, { waitUntil: 'load' });
    await page.fill('#username', logins.admin.user);
    await page.fill('#password', logins.admin.password);
    await go(page.click('button[type=submit]'));
    await page.goto(`${base}/newsroom/plans`, { waitUntil: 'load' });
    await page.fill('#name', 'Digital monthly');
    await page.selectOption('#interval', 'month');
    await page.fill('#price', '9.99');
    await page.fill('#currency', 'GBP');
    await page.fill('#trial_days', '0');
    await page.fill('#price_id', STRIPE_PLAN);
    await go(page.click('button[value=add]'));
    // The Admin API: a token issued in the newsroom, shown once, works as a
    // Bearer token; the tokens and webhooks pages pass axe.
    await page.goto(`${base}/newsroom/api-tokens`, { waitUntil: 'load' });
    await axeOn(page, 'newsroom: API tokens page');
    await page.fill('#name', 'Browser check');
    await page.check('#scope_stories\\:read');
    await go(page.click('button[value=issue]'));
    const token = await page.inputValue('#fresh').catch(() => '');
    const who = await fetch(`${base}/api/v1/admin/token`, { headers: { authorization: `Bearer ${token}` } });
    const whoJson = who.ok ? await who.json() : {};
    check('admin API: a token issued in the newsroom works', who.status === 200 && whoJson.role === 'admin', `${who.status} ${JSON.stringify(whoJson)}`);
    await page.goto(`${base}/newsroom/api-tokens`, { waitUntil: 'load' });
    check('admin API: the token is shown once', !(await page.content()).includes(token) && token.startsWith('bsk_'), 'a fresh load of the page must not show the token');
    await page.goto(`${base}/newsroom/webhooks`, { waitUntil: 'load' });
    await axeOn(page, 'newsroom: webhooks page');
    await page.goto(`${base}/newsroom/search?q=council`, { waitUntil: 'load' });
    await axeOn(page, 'newsroom: search results');
    // Newsletters: the newsroom's page and an issue's preview pass axe.
    await page.goto(`${base}/newsroom/newsletters`, { waitUntil: 'load' });
    await axeOn(page, 'newsroom: newsletters page');
    await go(page.click('a[href$="/preview"]'));
    check('newsletters: the preview opens', (await page.content()).includes('Preview:'), page.url());
    await axeOn(page, 'newsroom: newsletter preview');
    // Wire (issue 14): the agencies page, a push token made there pushing an
    // item, the queue with it, and opening it as a draft.
    await page.goto(`${base}/newsroom/agencies`, { waitUntil: 'load' });
    await axeOn(page, 'newsroom: agencies page');
    await go(page.click('button[name=do][value=token]'));
    const pushToken = await page.inputValue('#token-value').catch(() => '');
    await axeOn(page, 'newsroom: agencies page with a new token');
    const pushed = await fetch(`${base}/wire/npa`, {
      method: 'POST',
      headers: { authorization: `Bearer ${pushToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ uri: 'urn:browser:1', version: '1', headlines: [{ role: 'main', value: 'Browser check wire item' }],
        bodies: [{ role: 'main', contentType: 'text/plain', value: 'A first paragraph.\n\nA second paragraph.' }], urgency: 3 }),
    });
    const pushedJson = pushed.ok ? await pushed.json() : {};
    check('wire: an item pushed with the agency token is queued', pushed.status === 200 && pushedJson.items?.[0]?.result === 'queued', `${pushed.status} ${JSON.stringify(pushedJson)}`);
    await page.goto(`${base}/newsroom/wire`, { waitUntil: 'load' });
    await axeOn(page, 'newsroom: wire queue');
    check('wire: the pushed item waits in the queue', (await page.content()).includes('Browser check wire item'), page.url());
    await go(page.click('button[name=do][value=take] >> nth=0'));
    check('wire: an item opens as a draft', /\/newsroom\/stories\/\d+$/.test(page.url()), page.url());
    await go(page.click('form.signout button:not([name])'));
    const plans = await get(`${base}/subscribe`);
    if (!check('journey: admin adds a plan', plans.text.includes('Digital monthly'), `${base}/subscribe`)) return;

    // Sign up; the mailed link confirms the address and signs in.
    await page.goto(`${base}/account/sign-up`, { waitUntil: 'load' });
    await axeOn(page, 'journey: sign-up page');
    await page.fill('input[name=display_name]', 'Browser Reader');
    await page.fill('input[name=email]', email);
    await page.fill('input[name=password]', 'a long and unguessable passphrase 42');
    await go(page.click('form[action="/account/sign-up"] button[type=submit]'));
    check('journey: sign-up asks to check the inbox', (await page.content()).includes('We sent a message to'), page.url());
    const link = await waitLink(fx.maildir, email, '/account/verify');
    if (!check('journey: verification mail received by the SMTP sink', !!link, link || `no mail to ${email} with an /account/verify link within 15 s`)) return;
    await page.goto(link, { waitUntil: 'load' });
    await go(page.click('form[action="/account/verify"] button[type=submit]'));
    const acct = await page.content();
    check('journey: the link confirms and signs in', new URL(page.url()).pathname === '/account' && acct.includes('Your email address is confirmed') && acct.includes(email), page.url());
    await axeOn(page, 'journey: account page');

    // Newsletters: choose one in the preference centre, confirm it by the
    // mailed link (double opt-in), pressing the button on its page.
    await page.goto(`${base}/account/newsletters`, { waitUntil: 'load' });
    await axeOn(page, 'journey: newsletter preference centre');
    await page.locator('input[type=checkbox][name^="nl-"]').first().check();
    await go(page.click('button[value=save]'));
    check('journey: choosing a newsletter mails a link', (await page.content()).includes('we emailed a link'), page.url());
    const nlLink = await waitLink(fx.maildir, email, '/newsletters/confirm', 15_000, '0-9a-z.');
    if (check('journey: newsletter confirming mail received', !!nlLink, nlLink || `no mail to ${email} with a /newsletters/confirm link within 15 s`)) {
      await page.goto(nlLink, { waitUntil: 'load' });
      await axeOn(page, 'journey: newsletter confirm page');
      await go(page.click('form[action="/newsletters/confirm"] button[type=submit]'));
      check('journey: the newsletter is confirmed', (await page.content()).includes('You are subscribed'), page.url());
    }

    // Read metered stories until the prompt.
    let reads = 0;
    let cut = null;
    for (const s of metered) {
      await page.goto(s.url, { waitUntil: 'load' });
      if ((await page.locator('#paywall-h').count()) > 0) {
        cut = s;
        break;
      }
      if ((await page.content()).includes(s.paidText)) reads++;
    }
    if (!check('journey: the prompt appears once the meter is spent', cut && reads === METER_REGISTERED, cut ? `after ${reads} full metered stories (a registered reader's allowance: ${METER_REGISTERED})` : `no prompt after ${reads} metered stories`)) return;
    const dom = await page.content();
    {
      const at = dom.indexOf(cut.paidText);
      // The element JSON-LD's hasPart names stays on a cut page (Google's
      // paywall markup points at it) but holds nothing.
      const filled = await page.locator('.story-paid').evaluateAll((els) => els.filter((e) => e.textContent.trim() !== '' || e.children.length > 0).length);
      check(
        'journey: the paid text is not in the DOM',
        at < 0 && filled === 0,
        at >= 0 ? `${cut.url}: paid text found at ...${dom.slice(Math.max(0, at - 300), at + 80)}...` : filled ? `${cut.url}: ${filled} .story-paid element(s) with content` : cut.url,
      );
    }
    await axeOn(page, 'journey: paywall prompt');

    // Subscribe through checkout.
    await go(page.click('.paywall a.button'));
    await axeOn(page, 'journey: subscribe page');
    await go(page.click('.plan a.button'));
    await axeOn(page, 'journey: subscribe confirm page');
    await go(page.click('form[action^="/subscribe/"] button[type=submit]'));
    check('journey: checkout on the provider', page.url().startsWith(`http://127.0.0.1:${fx.stripePort}/checkout/`), page.url());
    await go(page.click('button[type=submit]'));
    check('journey: back from checkout as a subscriber', new URL(page.url()).origin === base && (await page.content()).includes('You are a subscriber'), page.url());
    await page.goto(`${base}/account/subscription`, { waitUntil: 'load' });
    check('journey: the subscription page names the plan', (await page.content()).includes('Digital monthly'), page.url());
    await axeOn(page, 'journey: subscription page');

    // The same story, in full.
    await page.goto(cut.url, { waitUntil: 'load' });
    check('journey: the same story in full', (await page.content()).includes(cut.paidText) && (await page.locator('#paywall-h').count()) === 0, cut.url);
  } catch (e) {
    fail('journey', e.message.split('\n')[0]);
    try {
      fs.writeFileSync(path.join(ctx.out, 'journey-failed.html'), await page.content());
      await page.screenshot({ path: path.join(ctx.out, 'journey-failed.png'), fullPage: true });
    } catch {
      /* the page is gone */
    }
  } finally {
    await page.close();
  }
}

// ---------------------------------------------------------------- discovery

async function discover(base, parser) {
  const targets = [];
  const found = (type, url, status = 200) => {
    pass(`discover ${type}`, url);
    targets.push({ type, url, status });
  };
  const missing = (type, why) => fail(`discover ${type}`, why);

  const home = await get(`${base}/`);
  found('home', `${base}/`);
  const h = await linksIn(parser, home.text, `${base}/`, { nav: 'nav:not(.account-links) a[href]', all: 'a[href]' });
  const local = (list) => list.filter((u) => sameOrigin(u, base));
  const nav = local(h.nav);

  const topUrl = nav.find((u) => segments(u).length === 1);
  let top;
  if (topUrl) {
    top = `${base}/${segments(topUrl)[0]}`;
    found('section', top);
  } else {
    missing('section', 'no `nav a[href]` on the home page points to a one-segment path like /news');
  }

  // Child section: a two-segment nav link that is not a story, from the home
  // page or else from the top section front (preferring children of `top`).
  let child = null;
  const childOf = (list) => {
    const cands = local(list).filter((u) => segments(u).length === 2 && !STORY_PATH.test(new URL(u).pathname) && !/\.[a-z]+$/.test(new URL(u).pathname) && !new URL(u).pathname.startsWith('/feeds/'));
    const topSeg = top ? segments(top)[0] : null;
    return cands.find((u) => segments(u)[0] === topSeg) || cands[0] || null;
  };
  child = childOf(h.nav);
  let topPage = null;
  if (top) {
    topPage = await get(top);
    if (!child) {
      const t = await linksIn(parser, topPage.text, top, { nav: 'nav:not(.account-links) a[href]' });
      child = childOf(t.nav);
    }
  }
  if (child) {
    const u = new URL(child);
    found('child-section', `${base}${u.pathname}`);
  } else {
    missing('child-section', 'no `nav a[href]` with a two-segment path (like /news/world) on the home page or the section front');
  }

  if (top) found('section-page-2', `${top}?page=2`);
  else missing('section-page-2', 'no top section');

  const stories = [...new Set(local(h.all).map((u) => new URL(u)).filter((u) => STORY_PATH.test(u.pathname)).map((u) => `${base}${u.pathname}`))];
  const story = stories[0];
  if (story) {
    found('story', story);
    // Agency copy has no staff author: look through a few stories for links.
    let author = null;
    let tag = null;
    for (const u of stories.slice(0, 12)) {
      if (author && tag) break;
      const s = await get(u);
      const sl = await linksIn(parser, s.text, u, { author: 'a[rel~="author"][href]', tag: 'a[rel~="tag"][href]' });
      author = author || local(sl.author)[0];
      tag = tag || local(sl.tag)[0];
    }
    if (author) found('author', author);
    else missing('author', `no a[rel~=author] on the first ${Math.min(12, stories.length)} stories`);
    if (tag) found('tag', tag);
    else missing('tag', `no a[rel~=tag] on the first ${Math.min(12, stories.length)} stories`);
  } else {
    missing('story', 'no link on the home page matches ' + STORY_PATH);
    missing('author', 'no story');
    missing('tag', 'no story');
  }

  // Comments (issue 12): the story's shared thread, and the reader's own
  // comment page signed out (it offers signing in).
  if (story) {
    const s = await get(story);
    const c = await linksIn(parser, s.text, story, { thread: '.comments-link a[href]' });
    const thread = local(c.thread)[0];
    if (thread) {
      found('comments-thread', thread);
      found('comments-mine-signed-out', `${base}/account${new URL(thread).pathname}`);
    } else {
      missing('comments-thread', 'no `.comments-link a[href]` on the story page');
    }
  } else {
    missing('comments-thread', 'no story');
  }
  // A story cut at the paywall (subscribers only), as an anonymous reader sees it.
  let cut = null;
  for (const u of stories.slice(0, 40)) {
    const s = await get(u);
    if (s.status === 200 && s.text.includes('class="paywall"')) {
      cut = u;
      break;
    }
  }
  if (cut) found('story-cut', cut);
  else missing('story-cut', `none of the first ${Math.min(40, stories.length)} stories on the home page is cut at the paywall`);
  found('corrections', `${base}/corrections`);
  found('subscribe', `${base}/subscribe`);
  found('newsroom-sign-in', `${base}/newsroom/sign-in`);
  // Reader account pages (signed out; a used or unknown mailed link answers 410).
  found('reader-sign-in', `${base}/account`);
  found('reader-sign-up', `${base}/account/sign-up`);
  found('reader-reset', `${base}/account/reset`);
  found('reader-link-refused', `${base}/account/magic?t=${'0'.repeat(64)}`, 410);
  found('not-found', `${base}/this-page-does-not-exist`, 404);
  return { targets, stories };
}

// ---------------------------------------------------------------- modes

async function selfTest(opts) {
  const ctx = newContext(opts.out);
  const targets = opts.urls.map((url, i) => ({
    type: `self-test-${i + 1}-${path.basename(new URL(url).pathname).replace(/\.[a-z]+$/i, '').replace(/[^a-zA-Z0-9_-]+/g, '_') || 'root'}`,
    url,
    status: opts.expectStatus,
  }));
  try {
    await openBrowsers(ctx);
    await checkAll(targets, ctx);
  } finally {
    await closeBrowsers(ctx);
    if (opts.keep) console.log(`# kept temporary files in ${ctx.tmp}`);
    else fs.rmSync(ctx.tmp, { recursive: true, force: true });
  }
}

async function binaryRun(opts) {
  const bin = path.resolve(opts.bin);
  try {
    fs.accessSync(bin, fs.constants.X_OK);
    if (!fs.statSync(bin).isFile()) throw new Error('not a file');
  } catch {
    fail('binary', `${bin} is missing or not executable; build it with: cargo build --release -p broadsheet`);
    return;
  }
  pass('binary', bin);
  const dbArgs = opts.databaseUrl ? ['--database-url', opts.databaseUrl] : [];
  const backend = opts.databaseUrl ? `postgres (${opts.databaseUrl.replace(/\/\/[^@/]*@/, '//…@')})` : 'sqlite';
  console.log(`# backend: ${backend}`);

  const ctx = newContext(opts.out);
  const dataDir = path.join(ctx.tmp, 'data');
  fs.mkdirSync(dataDir);
  let server = null;
  const cleanupOnExit = () => server?.kill9();
  process.on('exit', cleanupOnExit);
  try {
    // a. a fresh demo paper
    const demo = await run(bin, ['demo', '--data-dir', dataDir, '--stories', DEMO_STORIES, ...dbArgs], {
      logFile: path.join(opts.out, 'demo.log'),
    });
    if (!check('demo', !demo.error && demo.code === 0, `${describeExit(demo)} in ${(demo.ms / 1000).toFixed(1)} s`, demo.code === 0 ? [] : demo.tail.text())) return;

    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    // The reader journey's mail and payments (see readerJourney).
    const fixtures = opts.noJourney ? null : await startReaderFixtures(ctx, port);
    const readerArgs = fixtures
      ? ['--base-url', base, '--smtp-url', `smtp://127.0.0.1:${fixtures.smtpPort}`, '--stripe-secret-key', STRIPE_KEY, '--stripe-webhook-secret', STRIPE_HOOK, '--stripe-api-base', `http://127.0.0.1:${fixtures.stripePort}`, '--meter-free', String(METER_FREE), '--meter-registered', String(METER_REGISTERED), '--meter-new-per-address', '10000']
      : [];
    server = new Server(bin, ['serve', '--data-dir', dataDir, '--listen', `127.0.0.1:${port}`, ...readerArgs, ...dbArgs], path.join(opts.out, 'server.log'));
    const t0 = Date.now();
    const health = await waitHealthy(base, server);
    server.healthy = health.ok;
    if (!check('server starts', health.ok, health.ok ? `GET ${base}/healthz -> 200 after ${((Date.now() - t0) / 1000).toFixed(1)} s` : health.why, health.ok ? [] : ['server output (tail):', ...server.tail.text()])) return;

    // b. discover one URL of each page type
    await openBrowsers(ctx);
    let discovered;
    const parser = await ctx.js.newPage();
    try {
      discovered = await discover(base, parser);
    } catch (e) {
      fail('discover', e.message.split('\n')[0], server.exited ? ['server output (tail):', ...server.tail.text()] : []);
      return;
    } finally {
      await parser.close();
    }
    const { targets, stories } = discovered;

    // 410: withdraw a second story from another process; the running server must notice.
    const second = stories.find((u) => u !== targets.find((t) => t.type === 'story')?.url);
    if (!second) {
      fail('discover gone', 'the home page links fewer than two distinct stories');
    } else {
      const id = new URL(second).pathname.match(/-([0-9]+)$/)[1];
      pass('discover gone', `${second} (story id ${id})`);
      // Warm the server's cache first, so that the check covers invalidation.
      const before = await get(second);
      await get(second);
      check('gone: story is live before withdrawal', before.status === 200, `${second} -> ${before.status}`);
      const w = await run(bin, ['story', 'withdraw', id, '--data-dir', dataDir, ...dbArgs], { timeoutMs: 60_000 });
      if (check('story withdraw (separate process)', !w.error && w.code === 0, describeExit(w), w.code === 0 ? [] : w.tail.text())) {
        const deadline = Date.now() + WITHDRAW_PROPAGATION_MS;
        const tw = Date.now();
        let last = null;
        while (Date.now() < deadline) {
          try {
            last = (await get(second, { timeoutMs: 2_000 })).status;
          } catch (e) {
            last = e.cause?.code || e.message;
          }
          if (last === 410) break;
          await sleep(100);
        }
        check('gone: running server sees the withdrawal', last === 410, last === 410 ? `410 after ${((Date.now() - tw) / 1000).toFixed(2)} s` : `still ${last} after ${WITHDRAW_PROPAGATION_MS / 1000} s`);
      }
      targets.push({ type: 'gone', url: second, status: 410 });
    }

    // c + d. per-page browser checks, then HTML validity
    await checkAll(targets, ctx);
    await measureWeight(targets, ctx);

    // e. the newsroom, end to end in the browser
    let demoLog = '';
    try {
      demoLog = fs.readFileSync(path.join(opts.out, 'demo.log'), 'utf8');
    } catch {
      demoLog = '';
    }
    await newsroomFlow(base, demoLog, ctx);
    // Live pages (issue 12).
    await liveFlow(base, demoLog, ctx);

    // f. a reader signs up, meets the paywall, subscribes and reads on
    if (fixtures) await readerJourney(base, fixtures, stories, demoLog, ctx);
  } catch (e) {
    fail('run', e.stack || e.message, server ? ['server output (tail):', ...server.tail.text()] : []);
  } finally {
    await closeBrowsers(ctx);
    // graceful shutdown (idle keep-alive connections from fetch are still open,
    // as a real client's would be)
    if (server && !server.healthy) {
      // Already reported under "server starts".
      server.kill9();
      await server.waitExit(5_000);
      server.log.end();
    } else if (server) {
      if (server.exited) {
        fail('graceful shutdown', `the server had already exited (${describeExit(server.exited)})`, server.tail.text());
      } else {
        const ts = Date.now();
        server.child.kill('SIGTERM');
        const r = await server.waitExit(SHUTDOWN_TIMEOUT_MS);
        if (!r) {
          server.kill9();
          await server.waitExit(5_000);
          fail('graceful shutdown', `still running ${SHUTDOWN_TIMEOUT_MS / 1000} s after SIGTERM (killed)`, server.tail.text().slice(-15));
        } else {
          check('graceful shutdown', r.code === 0, `${describeExit(r)} ${((Date.now() - ts) / 1000).toFixed(2)} s after SIGTERM`, r.code === 0 ? [] : server.tail.text().slice(-15));
        }
      }
      server.log.end();
    }
    process.off('exit', cleanupOnExit);
    if (opts.keep || failed > 0) console.log(`# kept temporary files (data dir, fetched HTML) in ${ctx.tmp}`);
    else fs.rmSync(ctx.tmp, { recursive: true, force: true });
  }
}

const opts = parseArgs(process.argv.slice(2));
try {
  if (opts.selfTest) await selfTest(opts);
  else await binaryRun(opts);
} catch (e) {
  fail('check.mjs', e.stack || e.message);
}
finish();
