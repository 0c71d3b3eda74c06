#!/usr/bin/env python3
"""Opens a tracecheck HTML report in headless Chromium (Selenium with Debian's chromium and
chromedriver) and checks that it draws itself: no console error, no network request, the
histograms and waterfalls drawn with a size, the findings filters working. Takes a
screenshot. With --hostile TEXT, also checks that TEXT (taken from span names) shows as text
and that no script of the dump ran. Exit 0 when every check passes; else says which failed."""

import argparse
import json
import os
import sys

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By


def browser():
    opts = webdriver.ChromeOptions()
    opts.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
              "--disable-background-networking", "--disable-component-update", "--disable-sync",
              "--window-size=1400,1000"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    return webdriver.Chrome(service=Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")), options=opts)


SIZES = """
const size = sel => [...document.querySelectorAll(sel)].filter(e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; }).length;
return { bars: size('svg.hist rect.bar'), hists: size('svg.hist'), spans: size('.wf .span-bar'), waterfalls: size('.wf'),
         verdict: size('#verdict'), findings: document.querySelectorAll('tr.finding').length, scripts: document.scripts.length,
         pwned: window.__pwned === undefined ? null : String(window.__pwned),
         links: document.querySelectorAll('tr.finding a[href^="#trace-"]').length,
         links_ok: [...document.querySelectorAll('tr.finding a[href^="#trace-"]')].every(a => document.getElementById(a.getAttribute('href').slice(1)) !== null) };
"""

FILTER = """
const [name, value] = arguments;
const e = document.getElementById(name);
e.value = value;
e.dispatchEvent(new Event(e.tagName === 'INPUT' ? 'input' : 'change'));
return [...document.querySelectorAll('tr.finding')].filter(r => !r.classList.contains('hidden'))
  .map(r => ({ severity: r.dataset.severity, code: r.dataset.code, text: r.dataset.text }));
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("html")
    ap.add_argument("--screenshot", required=True)
    ap.add_argument("--hostile")
    ap.add_argument("--min-waterfalls", type=int, default=1)
    args = ap.parse_args()
    problems = []
    d = browser()
    try:
        d.get("file://" + os.path.abspath(args.html))
        got = d.execute_script(SIZES)
        print(json.dumps(got))
        if not got["verdict"]:
            problems.append("no verdict drawn")
        if got["hists"] == 0 or got["bars"] == 0:
            problems.append(f"histograms not drawn: {got}")
        if got["waterfalls"] < args.min_waterfalls or (args.min_waterfalls and got["spans"] == 0):
            problems.append(f"waterfalls not drawn: {got}")
        if not got["links_ok"]:
            problems.append("a finding links to a trace the page does not draw")
        if args.min_waterfalls and got["findings"] and not got["links"]:
            problems.append("no finding links to a drawn trace")
        if got["scripts"] != 2:
            problems.append(f"{got['scripts']} script elements, not the page's 2")
        if got["pwned"] is not None:
            problems.append(f"a script from the dump ran: window.__pwned = {got['pwned']}")
        if got["findings"]:
            every = d.execute_script(FILTER, "f-severity", "")
            for sev in ("error", "warning"):
                rows = d.execute_script(FILTER, "f-severity", sev)
                if any(r["severity"] != sev for r in rows):
                    problems.append(f"severity filter {sev} shows other severities")
                if len(rows) != sum(r["severity"] == sev for r in every):
                    problems.append(f"severity filter {sev} hides findings of that severity")
            d.execute_script(FILTER, "f-severity", "")
            code = every[-1]["code"]
            rows = d.execute_script(FILTER, "f-code", code)
            if not rows or any(r["code"] != code for r in rows):
                problems.append(f"code filter {code} does not work")
            d.execute_script(FILTER, "f-code", "")
            word = every[0]["text"].split()[0]
            rows = d.execute_script(FILTER, "f-text", word)
            if not rows or any(word not in r["text"] for r in rows):
                problems.append(f"text filter {word!r} does not work")
            d.execute_script(FILTER, "f-text", "")
        if args.hostile:
            text = d.execute_script("return document.body.innerText")
            if args.hostile not in text:
                problems.append(f"{args.hostile!r} does not show as text")
        # Click the first span of the first waterfall: its details open.
        opened = d.execute_script("const r = document.querySelector('.wf .row'); if (!r) return null; r.click(); return !r.nextElementSibling.classList.contains('hidden');")
        if args.min_waterfalls and opened is not True:
            problems.append("clicking a span does not open its details")
        d.save_screenshot(args.screenshot)
        # The latency cards and the first waterfall, each in a picture of its own.
        stem = args.screenshot.rsplit(".", 1)[0]
        for sel, name in ((".ops", "latency"), (".wf", "waterfall")):
            found = d.find_elements(By.CSS_SELECTOR, sel)
            if found:
                found[0].screenshot(f"{stem}-{name}.png")
        for entry in d.get_log("browser"):
            if entry.get("level") == "SEVERE":
                problems.append(f"console error: {entry.get('message')}")
        for entry in d.get_log("performance"):
            msg = json.loads(entry["message"])["message"]
            if msg.get("method") == "Network.requestWillBeSent":
                url = msg["params"]["request"]["url"]
                if not url.startswith(("file:", "data:", "about:")):
                    problems.append(f"network request: {url}")
    finally:
        d.quit()
    for p in problems:
        print("FAILED:", p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
