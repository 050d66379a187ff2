#!/usr/bin/env python3
"""The status page in a real browser (headless Chromium through chromedriver), against a
running rentguardd fed by the simulator.

Checks, in order:
  1. the page loads: the building grid, the devices, the outbox, with no reload;
  2. a phone-sized window shows it without horizontal scrolling of the page;
  3. a fire played by the simulator turns its unit red within 2 s of the daemon raising
     the alarm (measured: alarm first seen in the API -> unit cell red in the page);
  4. the flat's fire alarms (smoke, heat, fire) show as one incident row, which opens to
     its alarms;
  5. acknowledging the incident from the page (by, note) reaches the daemon, and the page
     shows it;
  6. nothing was written to the browser console.

Prints one line per check and a closing 'N passed, N failed'; exit status 0 only if all passed.
"""
import argparse
import json
import subprocess
import sys
import time
import traceback
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

p = argparse.ArgumentParser()
p.add_argument("--url", required=True, help="the daemon's endpoint, e.g. http://127.0.0.1:9464")
p.add_argument("--sim", required=True, help="the rentguard-sim binary")
p.add_argument("--scenario", required=True)
p.add_argument("--broker", required=True)
p.add_argument("--unit", required=True, help="the unit the fire is in")
p.add_argument("--chromium", default="/usr/bin/chromium")
p.add_argument("--chromedriver", default="/usr/bin/chromedriver")
p.add_argument("--screenshots", default=None, help="directory for screenshots")
args = p.parse_args()

results = []


def check(name, ok, detail=""):
    results.append(ok)
    print(f"{'PASS' if ok else 'FAIL'} {name}{': ' + detail if detail else ''}", flush=True)
    return ok


def attr(selector, name):
    """An attribute read in one step in the page (the page may rebuild a section between a
    find and a read)."""
    return driver.execute_script(
        "const e = document.querySelector(arguments[0]); return e ? e.getAttribute(arguments[1]) : null;", selector, name)


def click(selector, tries=5):
    """Clicks an element, finding it again if a refresh replaced it in between."""
    for i in range(tries):
        try:
            driver.find_element(By.CSS_SELECTOR, selector).click()
            return
        except StaleElementReferenceException:
            if i == tries - 1:
                raise


def api(path):
    with urllib.request.urlopen(args.url + path, timeout=5) as r:
        return json.load(r)


options = webdriver.ChromeOptions()
options.binary_location = args.chromium
for a in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1000",
          "--no-first-run", "--disable-extensions", "--lang=zh-CN"]:
    options.add_argument(a)
options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
driver = webdriver.Chrome(service=Service(executable_path=args.chromedriver), options=options)
console = []
try:
    # 1. The page loads and fills itself from the API.
    t0 = time.monotonic()
    driver.get(args.url + "/")
    WebDriverWait(driver, 10).until(lambda d: d.execute_script("return document.body.dataset.loaded === 'true'"))
    cells = driver.find_elements(By.CSS_SELECTOR, ".unit[data-unit]")
    devices = driver.find_elements(By.CSS_SELECTOR, "#devices tr[data-device]")
    outbox = driver.find_elements(By.CSS_SELECTOR, "#outbox tr[data-destination]")
    check("page loads", len(cells) > 0 and len(devices) > 0 and len(outbox) > 0,
          f"{len(cells)} units, {len(devices)} devices, {len(outbox)} destinations in {time.monotonic() - t0:.2f} s")
    unit_sel = f".unit[data-unit='{args.unit}']"
    before = attr(unit_sel, "data-level")
    check("unit starts without an alarm", before == "ok", f"data-level={before}")
    if args.screenshots:
        driver.save_screenshot(f"{args.screenshots}/status-desktop-before.png")

    # 2. A phone screen.
    driver.set_window_size(390, 844)
    time.sleep(0.3)  # one layout pass after the resize, not a wait on the daemon
    overflow = driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
    check("phone width: no horizontal page scroll", overflow <= 0, f"overflow {overflow}px at 390 px")
    if args.screenshots:
        driver.save_screenshot(f"{args.screenshots}/status-phone.png")
    driver.set_window_size(1280, 1000)

    # 3. A fire in the simulator.
    sim = subprocess.Popen([args.sim, "run", args.scenario, "--broker", args.broker, "--fast", "--progress-every", "0",
                            "--log-level", "warning"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    alarm_seen = red_seen = None
    fire = None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (alarm_seen is None or red_seen is None):
        now = time.monotonic()
        if alarm_seen is None:
            fires = [a for a in api("/api/v1/alarms?active=true")["alarms"] if a["type"] == "fire" and a.get("unit") == args.unit]
            if fires:
                alarm_seen, fire = now, fires[0]
        if red_seen is None:
            level = attr(unit_sel, "data-level")
            if level in ("fire", "critical"):
                red_seen = time.monotonic()
        if alarm_seen is not None and red_seen is not None:
            break
        time.sleep(0.05)
    sim_status = sim.wait(timeout=120)
    check("simulator ran", sim_status == 0, sim.stderr.read().decode(errors="replace")[-500:] if sim_status else "")
    if check("fire alarm raised by the daemon", fire is not None):
        latency = red_seen - alarm_seen if red_seen is not None else None
        colour = driver.execute_script(
            "return getComputedStyle(document.querySelector(arguments[0])).backgroundColor", unit_sel)
        check("unit turns red within 2 s", latency is not None and latency <= 2.0 and colour == "rgb(198, 40, 40)",
              f"latency {'%.2f s' % latency if latency is not None else 'never'}, colour {colour}")
        if args.screenshots:
            driver.save_screenshot(f"{args.screenshots}/status-fire.png")

        # 4. One fire, one incident row: the flat's smoke, heat and fire alarms share it.
        aid = fire["alarm_id"]
        iid = fire.get("incident_id")
        check("the fire's alarm names its incident", bool(iid), json.dumps(fire, ensure_ascii=False)[:300])
        in_unit = [a for a in api("/api/v1/alarms?active=true")["alarms"] if a.get("unit") == args.unit]
        rows = WebDriverWait(driver, 5).until(lambda d: d.find_elements(By.CSS_SELECTOR, f"#alarms tr[data-incident='{iid}']"))
        unit_rows = driver.execute_script(
            "return [...document.querySelectorAll('#alarms tr.incident')].filter(r => r.children[2].textContent === arguments[0]).length", args.unit)
        check("the fire shows as one incident row", len(rows) == 1 and unit_rows == 1 and len(in_unit) >= 2,
              f"{len(in_unit)} active alarms in {args.unit}, {unit_rows} incident rows for it")
        click(f"#alarms tr[data-incident='{iid}']")  # opens its members
        members = WebDriverWait(driver, 5).until(lambda d: d.find_elements(By.CSS_SELECTOR, f"tr[data-timeline-for='{iid}'] [data-alarm]"))
        check("the incident row opens to its alarms", len(members) == len([a for a in in_unit if a.get("incident_id") == iid]),
              f"{len(members)} members shown")
        if args.screenshots:
            driver.save_screenshot(f"{args.screenshots}/status-incident.png")

        # 5. Acknowledge the incident from the page.
        WebDriverWait(driver, 5).until(lambda d: d.find_elements(By.CSS_SELECTOR, f"button[data-ack-incident='{iid}']"))
        click(f"button[data-ack-incident='{iid}']")
        by = WebDriverWait(driver, 5).until(lambda d: d.find_element(By.ID, "ack-by"))
        by.clear()
        by.send_keys("值班员 Zhang")
        driver.find_element(By.ID, "ack-note").send_keys("checked on site, crew sent")
        if args.screenshots:
            driver.save_screenshot(f"{args.screenshots}/status-ack-form.png")
        driver.find_element(By.ID, "ack-submit").click()
        row = f"#alarms tr[data-incident='{iid}']"
        shown = WebDriverWait(driver, 10).until(lambda d: attr(row, "data-state") == "acknowledged")
        stored = [a for a in api("/api/v1/alarms")["alarms"] if a["alarm_id"] == aid]
        ack = stored[0]["evidence"].get("acknowledgement", {}) if stored else {}
        check("acknowledge from the page", bool(shown) and stored and stored[0]["state"] == "acknowledged"
              and ack.get("by") == "值班员 Zhang" and ack.get("note") == "checked on site, crew sent", json.dumps(ack, ensure_ascii=False))
        # The English labels.
        driver.find_element(By.ID, "lang").click()
        title = driver.find_element(By.CSS_SELECTOR, "#alarms-section h2 [data-t]").text
        check("English labels", title == "Active alarms", title)
        if args.screenshots:
            driver.save_screenshot(f"{args.screenshots}/status-acknowledged-en.png")

    # 6. The console.
    console = driver.get_log("browser")
    check("browser console is empty", not console, json.dumps(console, ensure_ascii=False)[:2000])
except Exception:
    check("no exception in the test", False, traceback.format_exc())
finally:
    driver.quit()

passed = sum(1 for r in results if r)
failed = len(results) - passed
print(f"{passed} passed, {failed} failed", flush=True)
sys.exit(0 if failed == 0 and passed > 0 else 1)
