"""The handout's notebooks as a student sees them: Jupyter Notebook in a real browser, Run All.

    python bench/notebooks_in_browser.py --out /tmp/notebook-shots

Makes a handout with the kit's own answers and Fashion-MNIST (`make --solution
--data-dir`), shortens each notebook's settings cell (2 epochs of 150 steps:
a look at the page, not the lesson), starts `jupyter notebook` in it, and opens each
notebook in a headless Chromium (Debian's chromium and chromium-driver, driven
by selenium). It runs the page's own Run > Run All Cells, takes a screenshot
while an epoch trains (the progress line inside the cell) and one of the whole
page when the kernel is idle again (where to look whether the check table's
columns line up), and says, for each notebook, what its cells wrote to standard
error (pink on the page). A script to run by hand and look at, not a test: it needs
chromium, chromium-driver, fonts-noto-cjk (apt) and selenium, notebook (pip), says in one line
which of them are missing, shows the server's own words when it does not start, and removes
the handout it made whatever happens.
"""

import argparse
import importlib.util
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SETTINGS = {"1_basic_autoencoder.ipynb": 'options = "--epochs 3"',
            "2_deep_autoencoder.ipynb": 'epochs = 2\noptions = "--steps-per-epoch 150"',
            "3_denoising_autoencoder.ipynb": 'epochs = 2\noptions = "--steps-per-epoch 150"',
            "4_beyond_the_slides.ipynb": 'epochs = 1\noptions = "--steps-per-epoch 50"',
            "optional_anomaly_detection.ipynb": 'epochs = 2\nnormal_class = 1\n'
                                                'options = "--steps-per-epoch 30 --score smoothed"'}


CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
KOREAN_FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
# What the page needs, each as (is it here, the installer that brings it, the package).
NEEDS = [(lambda: importlib.util.find_spec("notebook"), "pip", "notebook"),
         (lambda: importlib.util.find_spec("selenium"), "pip", "selenium"),
         (lambda: os.path.exists(CHROMIUM), "apt", "chromium"),
         (lambda: os.path.exists(CHROMEDRIVER), "apt", "chromium-driver"),
         (lambda: os.path.exists(KOREAN_FONT), "apt", "fonts-noto-cjk")]
SERVER = [sys.executable, "-m", "jupyter", "notebook"]  # Jupyter Notebook 7, from this Python
STARTING = 120  # seconds the server has to start listening


def missing():
    """The one line that says what this machine lacks and how to install it, or None."""
    lacking = {"pip": [], "apt": []}
    for found, installer, package in NEEDS:
        if not found():
            lacking[installer].append(package)
    where = {"pip": " (in the kit's virtual environment)", "apt": ""}
    how = [f"{installer} install {' '.join(packages)}{where[installer]}"
           for installer, packages in lacking.items() if packages]
    if not how:
        return None
    return (f"error: this needs {', '.join(lacking['pip'] + lacking['apt'])}, missing here; "
            f"to install: {'; '.join(how)}")


def make_handout(folder, data_dir):
    subprocess.run([sys.executable, "-m", "aelab.workshop", "make", folder, "--solution",
                    "--data-dir", data_dir], cwd=REPO, check=True, stdout=subprocess.DEVNULL)
    for name, settings in SETTINGS.items():
        path = os.path.join(folder, name)
        with open(path, encoding="utf-8") as f:
            notebook = json.load(f)
        cell = next(c for c in notebook["cells"] if c["cell_type"] == "code"
                    and "".join(c["source"]).startswith(("epochs =", "options =")))
        cell["source"] = settings
        with open(path, "w", encoding="utf-8") as f:
            json.dump(notebook, f, indent=1, ensure_ascii=False)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(folder, port, log):
    """Starts Jupyter Notebook on port, serving folder, its output into the file log; returns
    it once it listens. Raises SystemExit with what it said if it ends or does not listen."""
    env = dict(os.environ)
    for name in ("DISPLAY", "MPLBACKEND", "PYTHONPATH"):
        env.pop(name, None)
    server = subprocess.Popen(
        [*SERVER, "--no-browser", f"--port={port}", "--ServerApp.port_retries=0",
         "--ServerApp.token=", "--ServerApp.password=", "--ServerApp.disable_check_xsrf=True",
         "--allow-root", f"--ServerApp.root_dir={folder}"],
        cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + STARTING
    while server.poll() is None and time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            time.sleep(0.5)
    how = (f"ended with status {server.returncode}" if server.poll() is not None
           else f"did not listen on port {port} in {STARTING} s")
    server.kill()
    server.wait()
    log.seek(0)
    said = log.read().decode(errors="replace").strip().splitlines()[-20:]
    raise SystemExit("error: jupyter notebook " + how + (":\n" + "\n".join(said) if said else ""))


def browser(profile):
    """Headless Chromium with its profile in the folder profile."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--window-size=1400,1000"):
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def click_menu(driver, menu, item):
    from selenium.webdriver.common.by import By
    driver.find_element(By.XPATH, f"//div[contains(@class,'lm-MenuBar-itemLabel') and "
                                  f"text()='{menu}']").click()
    time.sleep(0.5)
    driver.find_element(By.XPATH, f"//div[contains(@class,'lm-Menu-itemLabel') and "
                                  f"text()='{item}']").click()


def kernel_busy(driver):
    return driver.execute_script(
        "return document.querySelectorAll('.jp-InputArea-prompt').length > 0 && "
        "Array.from(document.querySelectorAll('.jp-InputArea-prompt'))"
        ".some(p => p.textContent.includes('[*]'))")


def run_notebook(driver, port, name, out):
    """Runs one notebook with the page's Run All; returns what the page showed on stderr."""
    from selenium.webdriver.common.by import By
    driver.get(f"http://127.0.0.1:{port}/notebooks/{name}")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # the page is drawn: its first cell is there
        if driver.execute_script("return !!document.querySelector('.jp-Notebook .jp-Cell')"):
            break
        time.sleep(1)
    time.sleep(5)
    click_menu(driver, "Run", "Run All Cells")
    stem = os.path.splitext(name)[0]
    shot, started = False, time.monotonic()
    time.sleep(3)
    while time.monotonic() - started < 1800:
        progress = driver.execute_script(
            "return Array.from(document.querySelectorAll('.jp-OutputArea-output pre'))"
            ".map(e => e.textContent).filter(t => t.includes('%|')).pop() || ''")
        if progress and not shot:
            driver.save_screenshot(os.path.join(out, f"{stem}-during-an-epoch.png"))
            shot = True
            print(f"{name}: during an epoch: {progress.strip().splitlines()[-1]!r}")
        if not kernel_busy(driver) and time.monotonic() - started > 10:
            break
        time.sleep(0.5)
    cells = driver.find_elements(By.CSS_SELECTOR, ".jp-Notebook .jp-CodeCell")
    for index, cell in enumerate(cells, 1):  # each code cell with what it showed, in turn
        driver.execute_script("arguments[0].scrollIntoView({block: 'start'})", cell)
        time.sleep(1)
        driver.save_screenshot(os.path.join(out, f"{stem}-done-{index}.png"))
    pink = [e.text for e in driver.find_elements(By.CSS_SELECTOR,
                                                 ".jp-OutputArea-output[data-mime-type="
                                                 "'application/vnd.jupyter.stderr']")]
    return pink


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="notebook-shots", help="folder for the screenshots")
    parser.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
    args = parser.parse_args(argv)
    lacking = missing()
    if lacking:
        print(lacking, file=sys.stderr)
        return 2
    os.makedirs(args.out, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="handout-") as work:  # removed whatever happens
        folder = os.path.join(work, "practice")
        make_handout(folder, args.data_dir)
        port = free_port()
        with open(os.path.join(work, "server.log"), "w+b") as log:
            server = start_server(folder, port, log)
            driver = None
            try:
                driver = browser(os.path.join(work, "chromium"))
                for name in SETTINGS:
                    pink = run_notebook(driver, port, name, args.out)
                    print(f"{name}: standard error on the page: {pink or 'nothing'}")
            finally:
                if driver:
                    driver.quit()
                server.terminate()
                server.wait(timeout=60)
    print(f"screenshots in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
