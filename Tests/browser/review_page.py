#!/usr/bin/env python3
"""Drives the review web page in headless Chromium the way a reviewer does, for
ReviewWebBrowserTests: log in, take a screenshot, confirm one sighting with the keyboard (2,
Enter), mark the next as a new individual (N), undo that (U) and mark it new again (N).

Chromium is spoken to over the DevTools protocol on a pipe (--remote-debugging-pipe: JSON
messages ending in NUL, commands on fd 3, replies on fd 4), so only the standard library is
needed. Prints one JSON object with what it saw; the Swift test checks the database against it.

usage: review_page.py CHROMIUM BASE_URL REVIEWER TOKEN SCREENSHOT_DIR
"""
import base64, json, os, select, subprocess, sys, tempfile, time

chromium, base, reviewer, token, shots = sys.argv[1:6]
DEADLINE = time.time() + 150


class Browser:
    def __init__(self):
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()
        self.profile = tempfile.mkdtemp(prefix="fw-chromium-")

        def wire():  # in the child: its fd 3 reads our commands, its fd 4 carries replies
            r, w = os.dup(to_chrome_r), os.dup(from_chrome_w)  # out of the way of 3 and 4 first
            os.dup2(r, 3)
            os.dup2(w, 4)

        self.proc = subprocess.Popen(
            [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             "--remote-debugging-pipe", "--user-data-dir=" + self.profile, "--no-first-run",
             "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
             "--disable-sync", "--mute-audio", "--hide-scrollbars", "--window-size=1366,768", "about:blank"],
            pass_fds=(3, 4), preexec_fn=wire,  # closes all else after wire()
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.buffer, self.next_id, self.session = b"", 0, None

    def call(self, method, params=None, session=True):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            message["sessionId"] = self.session
        os.write(self.to_chrome, json.dumps(message).encode() + b"\0")
        while True:
            reply = self.read()
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def read(self):
        while b"\0" not in self.buffer:
            left = DEADLINE - time.time()
            if left <= 0 or not select.select([self.from_chrome], [], [], left)[0]:
                raise RuntimeError("Chromium did not answer in time")
            chunk = os.read(self.from_chrome, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium closed the pipe: " + self.proc.stderr.read().decode(errors="replace")[-2000:])
            self.buffer += chunk
        raw, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(raw)

    def open_page(self):
        target = self.call("Target.createTarget", {"url": "about:blank"}, session=False)["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True}, session=False)["sessionId"]
        self.call("Page.enable")
        self.call("Emulation.setDeviceMetricsOverride", {"width": 1366, "height": 768, "deviceScaleFactor": 1, "mobile": False})

    def eval(self, expression):
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in result:
            raise RuntimeError(f"page script failed: {expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait(self, expression, what, timeout=20):
        end = time.time() + timeout
        while time.time() < end:
            try:
                value = self.eval(expression)
                if value:
                    return value
            except RuntimeError:
                pass  # the page is navigating
            time.sleep(0.1)
        raise RuntimeError(f"timed out waiting for {what}; page: {self.eval('location.href')} {self.eval('document.title')}")

    def settled(self, what):
        """Loaded, every image decoded (so the screenshot shows photos, not blanks)."""
        self.wait("document.readyState === 'complete' && [...document.images].every(i => i.complete)", what)

    def navigate(self, url):
        self.call("Page.navigate", {"url": url})
        self.wait(f"location.href.startsWith({json.dumps(url)}) && document.readyState === 'complete'", url)

    def key(self, key):
        if key == "Enter":
            code, vk, text = "Enter", 13, "\r"
        else:
            code, vk, text = ("Key" + key.upper() if key.isalpha() else "Digit" + key), ord(key.upper()), key
        for kind in ("keyDown", "keyUp"):
            params = {"type": kind, "key": key, "code": code, "windowsVirtualKeyCode": vk}
            if kind == "keyDown":
                params["text"] = text
            self.call("Input.dispatchKeyEvent", params)

    def press_and_follow(self, key, what):
        before = self.eval("location.href")
        self.eval("window.__fw_marker = 1")
        self.key(key)
        self.wait("window.__fw_marker === undefined && document.readyState === 'complete'", what)
        self.settled(what)
        return before, self.eval("location.href")

    def screenshot(self, name):
        data = self.call("Page.captureScreenshot", {"format": "png"})["data"]
        path = os.path.join(shots, name)
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))
        return path

    def close(self):
        try:
            self.call("Browser.close", session=False)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def sighting_id(url):
    return int(url.split("/sightings/")[1].split("?")[0].split("/")[0])


browser = Browser()
seen = {}
try:
    browser.open_page()
    browser.navigate(base + "login")
    browser.eval(f"""document.querySelector('[name=reviewer]').value = {json.dumps(reviewer)};
        document.querySelector('[name=token]').value = {json.dumps(token)};
        document.querySelector('form[action="/login"]').submit()""")
    browser.wait("location.pathname.startsWith('/sightings/')", "the first sighting after logging in")
    browser.settled("the first sighting")
    seen["first_page"] = browser.eval("location.pathname")
    seen["shortcuts_shown"] = browser.eval("document.querySelector('footer.keys').innerText")
    seen["candidates"] = browser.eval("[...document.querySelectorAll('[data-candidate]')].map(c => c.dataset.candidate)")
    seen["photo_boxes"] = browser.eval("""[...document.querySelectorAll('.compare .frame')].map(f => {
        const r = f.getBoundingClientRect(); return [Math.round(r.width), Math.round(r.height)]; })""")
    seen["images_loaded"] = browser.eval("[...document.querySelectorAll('.compare img')].filter(i => i.naturalWidth > 0).length")
    seen["screenshot"] = browser.screenshot("review-page.png")

    # Confirm by keyboard: 2 picks the second candidate, Enter confirms it.
    browser.key("2")
    seen["picked"] = browser.eval("document.getElementById('pick').value")
    before, after = browser.press_and_follow("Enter", "the page after confirming")
    seen["confirmed"] = {"sighting": sighting_id(before), "individual": seen["picked"]}
    seen["flash_after_confirm"] = browser.eval("(document.querySelector('.flash') || {}).innerText || ''")

    # N marks the next one as a new individual; U undoes that; N again.
    new_id = sighting_id(after)
    browser.press_and_follow("n", "the page after marking new")
    seen["flash_after_new"] = browser.eval("(document.querySelector('.flash') || {}).innerText || ''")
    _, back = browser.press_and_follow("u", "the page after undo")
    seen["after_undo_page"] = sighting_id(back)
    seen["flash_after_undo"] = browser.eval("(document.querySelector('.flash') || {}).innerText || ''")
    browser.press_and_follow("n", "the page after marking new again")
    seen["new"] = new_id
    seen["screenshot_after"] = browser.screenshot("review-page-after.png")

    browser.navigate(base + "catalog")
    browser.settled("the catalog")
    seen["catalog_screenshot"] = browser.screenshot("catalog-page.png")
    seen["catalog_text"] = browser.eval("document.querySelector('main').innerText")
finally:
    browser.close()
print(json.dumps(seen))
