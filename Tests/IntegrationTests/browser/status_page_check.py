"""Drives a learner's status page in headless Chromium (WebDriver, Debian's chromium-driver) and reports what the
rendered page showed, as one JSON object on stdout, for StatusPageTests.swift to judge:

  points_first, points_later   the plot's points when it first had two or more, and after it grew (same page)
  polls                        how many times the page had redrawn from status.json by then
  eval_points                  the plot's greedy-evaluation points once it had one (--eval-every)
  video                        the evaluation video the page shows: {width, height, update} of the decoded image
  workers_before               {id: state} from the page's worker table before the kill
  gone_after_seconds           from SIGKILL of --kill-pid until the page showed --kill-id as gone (null: never)
  workers_after                {id: state} after that
  screenshot                   the PNG written

Exits 2 when it cannot start the browser (missing chromium, chromedriver or selenium).
"""
import argparse, json, os, signal, sys, time

try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
except ImportError as error:
    print(f"selenium is not installed: {error}", file=sys.stderr)
    sys.exit(2)


def browser(chromium, chromedriver):
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1400"):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)


def wait_until(predicate, timeout, step=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return None


def points(driver):
    # Read in one script, not element by element: the page replaces its elements on every poll.
    return int(driver.execute_script("return Number(document.getElementById('curve').dataset.points || 0)"))


def eval_points(driver):
    return int(driver.execute_script("return Number(document.getElementById('curve').dataset.evalPoints || 0)"))


def video(driver):
    # The image the page shows, once the browser has decoded it (naturalWidth is 0 before, and for a broken image).
    return driver.execute_script(
        "const v = document.getElementById('eval-video'); const shown = !document.getElementById('eval-figure').hidden;"
        " return shown && v.complete && v.naturalWidth > 0 ? {width: v.naturalWidth, height: v.naturalHeight, update: Number(v.dataset.update)} : null")


def workers(driver):
    return driver.execute_script(
        "const w = {}; for (const r of document.querySelectorAll('#workers tbody tr.worker')) w[r.dataset.id] = r.dataset.state; return w")


def main():
    a = argparse.ArgumentParser()
    a.add_argument("--url", required=True)
    a.add_argument("--kill-pid", type=int, required=True)
    a.add_argument("--kill-id", required=True)
    a.add_argument("--screenshot", required=True)
    a.add_argument("--timeout", type=float, default=90)
    a.add_argument("--chromium", default="/usr/bin/chromium")
    a.add_argument("--chromedriver", default="/usr/bin/chromedriver")
    args = a.parse_args()
    try:
        driver = browser(args.chromium, args.chromedriver)
    except Exception as error:  # the browser or its driver is missing or does not start
        print(f"cannot start headless Chromium: {error}", file=sys.stderr)
        sys.exit(2)
    report = {}
    try:
        driver.get(args.url)
        first = wait_until(lambda: points(driver) >= 2 and points(driver), args.timeout)
        report["points_first"] = first or points(driver)
        report["points_later"] = wait_until(lambda: points(driver) > report["points_first"] and points(driver), args.timeout) or points(driver)
        report["polls"] = int(driver.execute_script("return Number(document.body.dataset.polls)"))
        report["eval_points"] = wait_until(lambda: eval_points(driver), args.timeout) or 0
        report["video"] = wait_until(lambda: video(driver), args.timeout)
        report["workers_before"] = workers(driver)
        killed = time.monotonic()
        os.kill(args.kill_pid, signal.SIGKILL)
        gone = wait_until(lambda: workers(driver).get(args.kill_id) == "gone", args.timeout, step=0.1)
        report["gone_after_seconds"] = round(time.monotonic() - killed, 2) if gone else None
        report["workers_after"] = workers(driver)
        driver.save_screenshot(args.screenshot)
        report["screenshot"] = args.screenshot
    finally:
        driver.quit()
    print(json.dumps(report))


if __name__ == "__main__":
    main()
