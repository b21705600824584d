#!/usr/bin/env python3
"""Newsroom timings against running Broadsheet nodes (see newsroom.sh).

For N stories: sign in as an editor on node A, create a draft, time the save
round trip, publish, then poll the home page and the section front on node A
and on node B (another process on the same database) until the headline
appears. Prints medians as a Markdown table row.
"""
import http.cookiejar
import re
import statistics
import sys
import time
import urllib.parse
import urllib.request

node_a, node_b, user, password, label, runs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6])

jar = http.cookiejar.CookieJar()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)


def req(url, data=None):
    body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
    try:
        with opener.open(urllib.request.Request(url, data=body), timeout=10) as r:
            return r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


def field(html, name):
    m = re.search(r'name="%s" value="([^"]*)"' % name, html)
    return m.group(1) if m else ""


status, _, page = req(node_a + "/newsroom/sign-in")
status, headers, page = req(node_a + "/newsroom/sign-in", {"csrf": field(page, "csrf"), "username": user, "password": password})
if status != 303:
    sys.exit(f"sign-in failed: {status}")
_, _, dash = req(node_a + "/newsroom")
csrf = field(dash, "csrf")
_, _, new = req(node_a + "/newsroom/stories/new")
section = re.search(r'<option value="(\d+)"[^>]*>News</option>', new).group(1)

saves, a_home, a_section, b_home, b_section = [], [], [], [], []


def wait_for(url, text, t0, deadline=10.0):
    while time.perf_counter() - t0 < deadline:
        _, _, body = req(url)
        if text in body:
            return (time.perf_counter() - t0) * 1000
        time.sleep(0.005)
    return float("inf")


for i in range(runs):
    headline = f"Benchmark story {i} {time.time_ns()}"
    form = {"csrf": csrf, "headline": headline, "standfirst": "Timing run.", "body": "One.\n\nTwo.",
            "section": section, "access": "free", "byline": "", "tags": "", "seo_title": "", "seo_description": ""}
    status, headers, _ = req(node_a + "/newsroom/stories", form)
    sid = re.search(r"/newsroom/stories/(\d+)", headers["Location"]).group(1)
    _, _, edit = req(f"{node_a}/newsroom/stories/{sid}")
    version = field(edit, "version")
    t = time.perf_counter()
    status, _, _ = req(f"{node_a}/newsroom/stories/{sid}", dict(form, do="save", version=version, body="One, edited.\n\nTwo."))
    saves.append((time.perf_counter() - t) * 1000)
    _, _, edit = req(f"{node_a}/newsroom/stories/{sid}")
    version = field(edit, "version")
    status, _, _ = req(f"{node_a}/newsroom/stories/{sid}", {"csrf": csrf, "do": "publish", "version": version, "publish_at": ""})
    t0 = time.perf_counter()  # the publish request has returned
    a_home.append(wait_for(node_a + "/", headline, t0))
    a_section.append(wait_for(node_a + "/news", headline, t0))
    t1 = time.perf_counter()
    b_home.append(wait_for(node_b + "/", headline, t0))
    b_section.append(wait_for(node_b + "/news", headline, t0))

med = lambda xs: statistics.median(xs)
print(f"| {label} | {runs} | {med(saves):.1f} | {med(a_home):.1f} | {med(a_section):.1f} | {med(b_home):.0f} | {med(b_section):.0f} | {max(b_home):.0f} |")
