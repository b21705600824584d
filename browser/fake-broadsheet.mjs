#!/usr/bin/env node
// A tiny stand-in for the broadsheet binary, used only to test check.mjs
// itself (node browser/check.mjs --bin browser/fake-broadsheet.mjs).
// It implements the interface check.mjs relies on:
//   demo --data-dir DIR --stories N [--database-url URL]
//   serve --data-dir DIR --listen HOST:PORT [--database-url URL]
//   story withdraw ID --data-dir DIR [--database-url URL]
// State lives in DIR/fake-paper.json (the database URL is ignored). The server
// caches pages and notices changes made by other processes by polling the
// file's modification time. Fault injection, to see check.mjs fail:
//   FAKE_IGNORE_SIGTERM=1  FAKE_NO_INVALIDATE=1  FAKE_BAD_HTML=1  FAKE_FOREIGN=1

import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

const argv = process.argv.slice(2);
const opt = (name) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const dataDir = opt('--data-dir');
if (!dataDir) {
  console.error('fake-broadsheet: --data-dir is required');
  process.exit(2);
}
const file = path.join(dataDir, 'fake-paper.json');

const SECTIONS = [
  { slug: 'news', name: 'News', children: [{ slug: 'world', name: 'World' }, { slug: 'local', name: 'Local' }] },
  { slug: 'sport', name: 'Sport', children: [{ slug: 'football', name: 'Football' }] },
];
const AUTHORS = [{ slug: 'ada-lovelace', name: 'Ada Lovelace' }, { slug: 'tom-paine', name: 'Tom Paine' }];
const TAGS = ['elections', 'weather', 'transport'];
const PER_PAGE = 10;

function demo() {
  const n = Number(opt('--stories') || 60);
  const stories = [];
  for (let id = 1; id <= n; id++) {
    const sec = SECTIONS[id % SECTIONS.length];
    const child = sec.children[id % sec.children.length];
    stories.push({
      id,
      section: `${sec.slug}/${child.slug}`,
      slug: `story-number-${id}`,
      title: `Story number ${id}`,
      author: AUTHORS[id % AUTHORS.length].slug,
      tag: TAGS[id % TAGS.length],
      status: 'published',
    });
  }
  fs.writeFileSync(file, JSON.stringify({ stories }));
  console.log(`demo: ${n} stories in ${dataDir}`);
}

function withdraw(id) {
  const paper = JSON.parse(fs.readFileSync(file, 'utf8'));
  const s = paper.stories.find((x) => x.id === Number(id));
  if (!s) {
    console.error(`no story ${id}`);
    process.exit(1);
  }
  s.status = 'withdrawn';
  fs.writeFileSync(file + '.tmp', JSON.stringify(paper));
  fs.renameSync(file + '.tmp', file);
  console.log(`withdrew story ${id}`);
}

const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
const storyUrl = (s) => `/${s.section}/${s.slug}-${s.id}`;

function layout(title, body) {
  const nav = SECTIONS.map((s) => `<li><a href="/${s.slug}">${esc(s.name)}</a></li>`).join('');
  const foreign = process.env.FAKE_FOREIGN ? '<img src="https://tracker.invalid/t.gif" alt="">' : '';
  const broken = process.env.FAKE_BAD_HTML ? '<p>{{ oops }}<div></span>' : '';
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} - The Fake Broadsheet</title>
<link rel="stylesheet" href="/static/site.css"></head>
<body>
<header><a href="/">The Fake Broadsheet</a><nav aria-label="Sections"><ul>${nav}</ul></nav></header>
<main>${body}${broken}${foreign}</main>
<footer><p>Fake footer</p></footer>
</body></html>
`;
}

function list(stories) {
  return `<ul>${stories.map((s) => `<li><a href="${storyUrl(s)}">${esc(s.title)}</a></li>`).join('')}</ul>`;
}

function serve() {
  const listen = opt('--listen') || '127.0.0.1:8080';
  const [host, port] = [listen.slice(0, listen.lastIndexOf(':')), Number(listen.slice(listen.lastIndexOf(':') + 1))];
  let paper = JSON.parse(fs.readFileSync(file, 'utf8'));
  let mtime = fs.statSync(file).mtimeMs;
  const cache = new Map();
  const poll = setInterval(() => {
    if (process.env.FAKE_NO_INVALIDATE) return;
    const m = fs.statSync(file).mtimeMs;
    if (m !== mtime) {
      mtime = m;
      paper = JSON.parse(fs.readFileSync(file, 'utf8'));
      cache.clear();
    }
  }, 250);

  function render(pathname, query) {
    const live = paper.stories.filter((s) => s.status === 'published');
    if (pathname === '/healthz') return [200, 'text/plain', 'ok\n'];
    if (pathname === '/static/site.css') return [200, 'text/css', 'body{font-family:sans-serif;max-width:40rem;margin:auto;padding:1rem;color:#111;background:#fff;line-height:1.5}\nnav ul{display:flex;gap:1rem;list-style:none;padding:0}\nli{margin:.5rem 0}\nli a{display:inline-block;min-height:24px}\n'];
    if (pathname === '/') return [200, 'text/html', layout('Home', `<h1>Today</h1>${list(live.slice(0, 20))}`)];
    const segs = pathname.split('/').filter(Boolean);
    const m = pathname.match(/^\/([a-z0-9-]+(?:\/[a-z0-9-]+)*)\/([a-z0-9-]+)-([0-9]+)$/);
    if (m) {
      const s = paper.stories.find((x) => x.id === Number(m[3]));
      if (s && storyUrl(s) === pathname) {
        if (s.status === 'withdrawn') return [410, 'text/html', layout('Gone', '<h1>This story was withdrawn</h1>')];
        const a = AUTHORS.find((x) => x.slug === s.author);
        return [200, 'text/html', layout(s.title, `<article><h1>${esc(s.title)}</h1><p>By <a rel="author" href="/authors/${a.slug}">${esc(a.name)}</a></p><p>Body text.</p><p>Tags: <a rel="tag" href="/tags/${s.tag}">${s.tag}</a></p></article>`)];
      }
    }
    if (segs[0] === 'authors' && segs.length === 2) {
      const a = AUTHORS.find((x) => x.slug === segs[1]);
      if (a) return [200, 'text/html', layout(a.name, `<h1>${esc(a.name)}</h1>${list(live.filter((s) => s.author === a.slug).slice(0, PER_PAGE))}`)];
    }
    if (segs[0] === 'tags' && segs.length === 2 && TAGS.includes(segs[1])) {
      return [200, 'text/html', layout(segs[1], `<h1>${esc(segs[1])}</h1>${list(live.filter((s) => s.tag === segs[1]).slice(0, PER_PAGE))}`)];
    }
    const sec = SECTIONS.find((s) => s.slug === segs[0]);
    if (sec && segs.length <= 2) {
      const child = segs[1] ? sec.children.find((c) => c.slug === segs[1]) : null;
      if (segs.length === 1 || child) {
        const prefix = child ? `${sec.slug}/${child.slug}` : sec.slug;
        const items = live.filter((s) => s.section === prefix || s.section.startsWith(prefix + '/'));
        const page = Number(query.get('page') || 1);
        const slice = items.slice((page - 1) * PER_PAGE, page * PER_PAGE);
        if (page >= 1 && (page === 1 || slice.length)) {
          const sub = child ? '' : `<nav aria-label="${esc(sec.name)} sections"><ul>${sec.children.map((c) => `<li><a href="/${sec.slug}/${c.slug}">${esc(c.name)}</a></li>`).join('')}</ul></nav>`;
          const name = child ? child.name : sec.name;
          return [200, 'text/html', layout(name, `<h1>${esc(name)}${page > 1 ? `, page ${page}` : ''}</h1>${sub}${list(slice)}<p><a href="/${prefix}?page=${page + 1}">More</a></p>`)];
        }
      }
    }
    return [404, 'text/html', layout('Not found', '<h1>Page not found</h1>')];
  }

  const server = http.createServer((req, res) => {
    const u = new URL(req.url, 'http://x');
    const key = u.pathname + u.search;
    let hit = cache.get(key);
    if (!hit) {
      hit = render(u.pathname, u.searchParams);
      cache.set(key, hit);
    }
    const [status, type, body] = hit;
    res.writeHead(status, { 'content-type': `${type}; charset=utf-8` });
    res.end(body);
  });
  server.listen(port, host, () => console.error(`fake-broadsheet listening on ${host}:${port}`));
  process.on('SIGTERM', () => {
    if (process.env.FAKE_IGNORE_SIGTERM) {
      console.error('fake-broadsheet: ignoring SIGTERM');
      return;
    }
    console.error('fake-broadsheet: SIGTERM, shutting down');
    clearInterval(poll);
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}

switch (argv[0]) {
  case 'demo':
    demo();
    break;
  case 'serve':
    serve();
    break;
  case 'story':
    if (argv[1] !== 'withdraw') {
      console.error('usage: story withdraw ID');
      process.exit(2);
    }
    withdraw(argv[2]);
    break;
  default:
    console.error(`fake-broadsheet: unknown command ${argv[0]}`);
    process.exit(2);
}
