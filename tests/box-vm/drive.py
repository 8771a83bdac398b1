"""tests/box-vm: the engawa box as it ships, in a virtual machine, driven by IR.

Boots the image built by tests/box-vm/image in QEMU (TCG, no network device),
pairs the box with the head-end running in the same VM from its own package,
walks the resident's flows with nothing but IR scancodes sent through the
kernel's rc-loopback, and after each step compares the frame on the DRM device
(QMP screendump) with a fresh headless render of the state the box says it
shows (`engawa screenshot --frame`). Then a power cut in the middle of an order
and while a reminder is due, hot-plugged keyboards, upgrade and purge of both
packages, and the figures: boot time, IR key → DRM frame latency, RSS.

Usage: drive.py --image DIR --debs DIR --out DIR
Every frame compared is kept in OUT/frames as PNG (the CI artefacts).
"""

import argparse
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vm import Vm, VmError, differing, share_of_colour, write_png  # noqa: E402

BG = (0x0D, 0x1B, 0x33)  # Theme.bg in ui/theme.slint
HEADEND_DB = "/var/lib/engawa-headend/headend.db"
BOX_DB = "/var/lib/engawa/engawa.db"
# A pixel counts as different beyond this per channel; a frame fails beyond
# this share of its pixels (the same software renderer on both sides, but the
# DRM frame is XRGB8888 and blends may round differently).
MAX_DIFFERENT = 0.002


def load_keymap(path):
    keys = {}
    for line in open(path, encoding="utf-8"):
        m = re.match(r'\s*(0x[0-9a-fA-F]+)\s*=\s*"(KEY_\w+)"', line)
        if m:
            keys[m.group(2)] = int(m.group(1), 16)
    return keys


REMOTE = {
    "up": "KEY_UP", "down": "KEY_DOWN", "left": "KEY_LEFT", "right": "KEY_RIGHT",
    "ok": "KEY_OK", "back": "KEY_BACK", "home": "KEY_HOME",
    "blue": "KEY_BLUE", "red": "KEY_RED", "green": "KEY_GREEN", "yellow": "KEY_YELLOW",
    **{str(d): f"KEY_NUMERIC_{d}" for d in range(10)},
}


class Box:
    def __init__(self, vm, out, keymap, log):
        self.vm, self.out, self.keymap, self.log = vm, out, keymap, log
        self.frames = os.path.join(out, "frames")
        os.makedirs(self.frames, exist_ok=True)
        self.share = vm.share
        self.step = 0
        self.compared = []

    # ---- what the box says it shows ---------------------------------------
    def frame(self):
        self.vm.sh("cat /run/engawa/frame.json > /mnt/host/frame.tmp && mv /mnt/host/frame.tmp /mnt/host/frame.json")
        with open(os.path.join(self.share, "frame.json"), encoding="utf-8") as f:
            return json.load(f)

    @staticmethod
    def content(d):
        f = dict(d["frame"])
        f.pop("clock", None)
        return json.dumps(f, sort_keys=True, ensure_ascii=False)

    def wait_frame(self, pred, what, timeout=60):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            try:
                last = self.frame()
                if pred(last["frame"]):
                    return last
            except (OSError, ValueError, VmError):
                pass
            time.sleep(0.5)
        title = last["frame"]["title"] if last else "(no frame file)"
        raise VmError(f"the box never showed {what}; it shows 「{title}」")

    def title(self):
        return self.frame()["frame"]["title"]

    # ---- the remote ---------------------------------------------------------
    def press(self, *names, settle=True):
        for name in names:
            before = self.content(self.frame()) if settle else None
            code = self.keymap[REMOTE[name]]
            self.vm.sh(f"ir-ctl -d /dev/lirc0 -S nec:{code:#06x}")
            if settle:
                self.settle(before)

    def settle(self, before, timeout=20, unchanged=5):
        """Until the frame has changed from `before` and stays the same; a key
        that changes nothing (▲ at the top) is given `unchanged` seconds."""
        started = time.monotonic()
        prev = None
        while time.monotonic() < started + timeout:
            now = self.content(self.frame())
            if now == prev and (now != before or time.monotonic() > started + unchanged):
                return
            prev = now
            time.sleep(0.3)
        # Some keys change nothing (▲ at the top); that is not an error.

    # ---- the screen ---------------------------------------------------------
    def screen_still(self, timeout=20):
        """Screendumps until two in a row are equal: the DRM frame is final."""
        path = os.path.join(self.share, "screen.ppm")
        deadline = time.monotonic() + timeout
        prev = None
        while time.monotonic() < deadline:
            _, _, px = self.vm.screendump(path)
            if prev is not None and px == prev:
                return px
            prev = px
            time.sleep(0.3)
        return prev

    def compare(self, name, tries=3):
        """The DRM frame equals a fresh render of what the box says it shows."""
        self.step += 1
        label = f"{self.step:02d}-{name}"
        for attempt in range(tries):
            self.screen_still()
            self.vm.sh("engawa screenshot --frame /run/engawa/frame.json --out /mnt/host/ref.ppm "
                       ">/dev/null 2>&1", timeout=180)
            w, h, screen = self.vm.screendump(os.path.join(self.share, "screen.ppm"))
            from vm import read_ppm
            rw, rh, ref = read_ppm(os.path.join(self.share, "ref.ppm"))
            if (w, h) != (rw, rh):
                raise VmError(f"{label}: the screen is {w}x{h}, the box's frame {rw}x{rh}")
            bad = differing(screen, ref, w)
            share = bad / (w * h)
            if share <= MAX_DIFFERENT:
                write_png(os.path.join(self.frames, f"{label}.png"), w, h, screen)
                self.compared.append((label, share))
                self.log(f"  frame {label}: DRM = fresh render ({bad} pixels differ)")
                return
            # The clock may have turned between the two; look again.
            self.log(f"  frame {label}: {bad} pixels differ (try {attempt + 1})")
        write_png(os.path.join(self.frames, f"{label}-DRM.png"), w, h, screen)
        write_png(os.path.join(self.frames, f"{label}-fresh.png"), w, h, ref)
        raise VmError(f"{label}: the DRM frame differs from a fresh render of the box's own "
                      f"frame in {bad} pixels ({share:.2%}); see {self.frames}/{label}-*.png")


def headend(vm, args, timeout=120):
    return vm.sh(f"runuser -u engawa-headend -- engawa-headend {args} --db {HEADEND_DB}", timeout=timeout)


def seed_headend(vm, log):
    """One household, two sellers' catalogue, a car and places — by the CLI."""
    out = headend(vm, "household add --name '山田 花子' --address 'みどり町1-2-3' --phone 0265-00-1234 "
                      "--district 中心部 --lat 35.500 --lon 137.800 --shop --ride --eligibility 65歳以上")
    household = re.search(r"household (\d+) added", out).group(1)
    headend(vm, "seller add --name 'まるや八百屋' --phone 0265-00-2222")
    headend(vm, "seller add --name 'みどり精肉店' --phone 0265-00-3333")
    csv = ("seller,category,name,price_yen,unit,on_sale\\n"
           "まるや八百屋,やさい・くだもの,だいこん,180,1本,1\\n"
           "まるや八百屋,やさい・くだもの,にんじん,150,3本,1\\n"
           "まるや八百屋,やさい・くだもの,りんご,300,2個,1\\n"
           "みどり精肉店,肉・魚,豚こま,420,200g,1\\n"
           "みどり精肉店,肉・魚,鶏もも,380,300g,1\\n")
    vm.sh(f"printf '{csv}' > /tmp/catalogue.csv && chmod 644 /tmp/catalogue.csv")
    headend(vm, "catalogue import /tmp/catalogue.csv")
    headend(vm, "ride vehicle --name 1号車 --seats 3 --shift 00:00-23:59 --depot 35.500,137.810")
    out = headend(vm, "ride place --name みどり病院 --kind 病院 --at 35.520,137.820")
    place = re.search(r"place (\d+) added", out).group(1)
    headend(vm, "ride place --name みどり駅 --kind 駅 --at 35.490,137.790")
    headend(vm, f"ride favourite --household {household} --place {place}")
    # 防災: the town's rules, and the household in it (before its box is paired).
    headend(vm, "alert municipality --code 209996 --name みどり町 --city 2099900 --quake-from 5-")
    headend(vm, f"alert household {household} --municipality 209996 --jma-city 2099900")
    log(f"head-end seeded: household {household}, 5 items, 1 car, 2 places")
    return household


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--image", required=True, help="the folder tests/box-vm/image wrote")
    ap.add_argument("--debs", required=True, help="the folder with the .deb files")
    ap.add_argument("--out", required=True, help="where frames, logs and figures go")
    ap.add_argument("--keys", type=int, default=100, help="key presses for the latency figure")
    ap.add_argument("--skip", default="", help="stages to leave out while working on a later one, "
                    "comma-separated: " + ",".join(STAGES))
    a = ap.parse_args()

    out = os.path.abspath(a.out)
    os.makedirs(out, exist_ok=True)
    share = os.path.join(out, "share")
    os.makedirs(share, exist_ok=True)
    logf = open(os.path.join(out, "drive.log"), "a", encoding="utf-8")
    t_start = time.monotonic()

    def log(msg):
        line = f"[{time.monotonic() - t_start:7.1f} s] {msg}"
        print(line, flush=True)
        logf.write(line + "\n")
        logf.flush()

    here = os.path.dirname(os.path.abspath(__file__))
    keymap = load_keymap(os.path.join(here, "..", "..", "packaging", "keymaps", "engawa-remote.toml"))
    figures = {}
    # 10:03 in Tokyo today: inside the shop's cut-off and the car's shift, and
    # a minute before the first reminder the test makes can be due (10:05).
    today = datetime.datetime.now(datetime.timezone.utc).date()
    rtc = datetime.datetime(today.year, today.month, today.day, 1, 3, 0)
    # Every run boots a fresh copy: the image stays as built.
    disk = os.path.join(out, "box.img")
    subprocess.run(["cp", "--sparse=always", os.path.join(a.image, "box.img"), disk], check=True)
    vm = Vm(out, disk, os.path.join(a.image, "vmlinuz"),
            os.path.join(a.image, "initrd.img"), share, rtc.strftime("%Y-%m-%dT%H:%M:%S"), log)

    # ---- boot: QEMU start → first engawa frame on the DRM device ----------
    RUNNING.append(vm)
    vm.start()
    shot = os.path.join(share, "boot.ppm")
    first_frame = None
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        try:
            _, _, px = vm.screendump(shot)
            if share_of_colour(px, BG) > 0.3:
                first_frame = time.monotonic() - vm.started
                break
        except VmError:
            pass
        time.sleep(0.5)
    if first_frame is None:
        raise VmError("no engawa frame on the DRM device within 600 s")
    figures["boot"] = first_frame
    log(f"first engawa frame on DRM {first_frame:.1f} s after QEMU started")
    vm.login()
    log("serial console: root shell")
    vm.sh("mountpoint -q /mnt/host || mount /mnt/host")
    log(vm.sh("dpkg-query -W engawa engawa-headend"))
    log(vm.sh("systemctl is-active engawa engawa-headend"))
    for unit, limit in (("engawa-headend", 2.0), ("engawa", None)):
        line = vm.sh(f"systemd-analyze security {unit}.service --no-pager | tail -n 1")
        exposure = float(re.search(r"level for \S+: (\d+\.\d+)", line).group(1))
        figures[f"exposure {unit}"] = exposure
        log(f"systemd-analyze security {unit}: {exposure}")
        if limit is not None and exposure > limit:
            raise VmError(f"{unit}.service exposure {exposure} > {limit}")

    box = Box(vm, out, keymap, log)
    household = seed_headend(vm, log)

    # ---- pairing: the code on the TV, approved with the head-end's CLI ----
    d = box.wait_frame(lambda f: re.search(r"[0-9A-Z]{3}-[0-9A-Z]{3}", f["notice_body"] + f["notice_heading"]),
                       "a pairing code", timeout=120)
    code = re.search(r"[0-9A-Z]{3}-[0-9A-Z]{3}", d["frame"]["notice_body"] + d["frame"]["notice_heading"]).group(0)
    log(f"the TV shows pairing code {code}")
    box.compare("pairing")
    log(headend(vm, f"pair approve {code} --household {household}"))
    box.wait_frame(lambda f: f["page"] == "Home", "the home screen after pairing", timeout=120)
    box.compare("home")

    # ---- IR only from here ---------------------------------------------------
    skip = {s for s in a.skip.split(",") if s}
    if skip - set(STAGES):
        raise VmError(f"--skip: no stage {sorted(skip - set(STAGES))}; the stages are {', '.join(STAGES)}")
    if "flows" not in skip:
        flows(box, vm, log)
    if "walk" not in skip:
        walk(box, vm, log)
    if "latency" not in skip:
        figures["latency"] = latency(box, vm, a.keys, log)
    if "disaster" not in skip:
        disaster(box, vm, household, figures, log)
    rss = vm.sh("ps -o rss= -C engawa | head -n 1").strip()
    figures["rss"] = int(rss) / 1024
    log(f"engawa RSS in the guest: {figures['rss']:.1f} MB")
    for name, stage in (("power_cuts", power_cuts), ("wellbeing", wellbeing),
                        ("bad_remote", bad_remote), ("bad_keymap", bad_keymap), ("faults", faults), ("hot_plug", hot_plug)):
        if name not in skip:
            stage(box, vm, log)
    if "upgrade" not in skip:
        upgrade_and_purge(box, vm, a.debs, log)
    vm.power_cut()
    log(f"done in {time.monotonic() - t_start:.0f} s")
    print_figures(figures, box, log)


def number_of(frame, label):
    """The number key of the tile or row whose words contain `label`."""
    for t in frame["tiles"]:
        if label in t["label"]:
            return t["number"]
    for r in frame["rows"]:
        if label in r["text"]:
            return r["number"]
    raise VmError(f"no 「{label}」 on 「{frame['title']}」: "
                  f"{[t['label'] for t in frame['tiles']] + [r['text'] for r in frame['rows']]}")


def is_reminder_card(f):
    return f["overlay"] is not None and f["overlay"]["label"] == "リマインド"


def tokyo_now(vm):
    utc = int(vm.sh("date -u +%s"))
    return datetime.datetime.fromtimestamp(utc, datetime.timezone(datetime.timedelta(hours=9)))


def next_slot(now):
    """The first 5-minute time (the form's step) at least 50 s away: the time
    the key presses of the form take under TCG."""
    earliest = now + datetime.timedelta(seconds=50)
    t = earliest.replace(second=0, microsecond=0)
    if t < earliest:
        t += datetime.timedelta(minutes=1)
    return t + datetime.timedelta(minutes=(5 - t.minute % 5) % 5)


def wait_reminder(box, vm, due, log):
    """The reminder's card at `due`: the guest's clock is moved on to shortly
    before it rather than waiting minutes under TCG."""
    ahead = (due - tokyo_now(vm)).total_seconds() - 10
    if ahead > 0:
        vm.advance_clock(ahead)
        log(f"  the guest's clock moved on {ahead:.0f} s to {tokyo_now(vm):%H:%M:%S}")
    return box.wait_frame(is_reminder_card, f"the reminder at {due:%H:%M}",
                          timeout=(due - tokyo_now(vm)).total_seconds() + 120)


def make_reminder(box, vm, log, compare=False):
    """A daily reminder at the next free 5-minute time, made with the remote
    (安心 → リマインド → あたらしく つくる, ▼ ▶… ▼ ▶…, 緑); checks the box saved
    that time and returns it."""
    due = next_slot(tokyo_now(vm))
    box.press("home", "3", "1", "ok")
    if compare:
        box.compare("remind-new")
    box.press("down", *arrows(due.hour - 8, 24), "down", *arrows(due.minute // 5, 12))
    if compare:
        box.compare("remind-new-time")
    box.press("green")
    saved = box_sql(vm, "SELECT time_of_day FROM reminders ORDER BY id DESC LIMIT 1")
    rows = [r["text"] for r in box.frame()["frame"]["rows"]][:3]
    if saved != f"{due:%H:%M}":
        raise VmError(f"the reminder form saved {saved!r}, not {due:%H:%M}; the list shows {rows}")
    log(f"reminder for {due:%H:%M} saved; the list shows {rows}")
    if compare:
        box.compare("remind-saved")
    box.press("home")
    return due


def is_ride_card(f):
    return f["overlay"] is not None and f["overlay"]["label"] == "タクシー"


def arrows(n, wrap):
    """Presses of ▶ (or ◀ when shorter) to move a wrapping field by n steps."""
    n %= wrap
    return ["right"] * n if n <= wrap - n else ["left"] * (wrap - n)


def flows(box, vm, log):
    # 戻る and ホーム.
    box.press("3")
    box.compare("safety")
    box.press("1")
    box.compare("remind-list")
    box.press("back")
    box.compare("back-to-safety")
    box.press("home")
    box.compare("home-again")

    # A reminder made with the remote, a few minutes from now, then answered.
    due = make_reminder(box, vm, log, compare=True)
    d = wait_reminder(box, vm, due, log)
    log(f"reminder card: 「{d['frame']['overlay']['text']}」 at {tokyo_now(vm):%H:%M:%S}")
    box.compare("reminder-due")
    box.press("ok")  # できた
    box.wait_frame(lambda f: not is_reminder_card(f), "the card gone after 決定")
    box.compare("reminder-answered")

    # An order from a category, then the same item again from 「いつもの」.
    box.press("1")
    box.wait_frame(lambda f: any("やさい" in t["label"] for t in f["tiles"]), "the shop's categories")
    box.compare("shop-home")
    box.press(number_of(box.frame()["frame"], "やさい"))
    box.press(number_of(box.frame()["frame"], "だいこん"))
    box.compare("shop-item")
    box.press("ok", "green")
    box.compare("shop-cart")
    box.press("green")
    box.wait_frame(lambda f: "うけつけ" in json.dumps(f, ensure_ascii=False)
                   or "注文しました" in f["title"], "the receipt")
    box.compare("shop-receipt")
    box.press("home", "1")
    box.wait_frame(lambda f: any("いつもの" in t["label"] for t in f["tiles"]), "the shop")
    box.press(number_of(box.frame()["frame"], "いつもの"))
    box.compare("shop-usual")
    box.press("1", "ok", "green", "green")
    box.wait_frame(lambda f: "うけつけ" in json.dumps(f, ensure_ascii=False)
                   or "注文しました" in f["title"], "the second receipt")
    box.compare("shop-receipt-usual")
    orders = headend(vm, "orders")
    log("head-end: " + orders.splitlines()[-1])
    if "2 orders" not in orders:
        raise VmError(f"the head-end should have 2 orders:\n{orders}")
    box.press("home")

    # A taxi to the favourite place, now.
    box.press("2")
    box.wait_frame(lambda f: any("みどり病院" in r["text"] for r in f["rows"])
                   or any("みどり病院" in t["label"] for t in f["tiles"]), "the taxi's places")
    box.compare("ride-places")
    box.press(number_of(box.frame()["frame"], "みどり病院"))
    box.compare("ride-when")
    box.press("green")
    box.wait_frame(lambda f: "おむかえ" in json.dumps(f, ensure_ascii=False)
                   or "お迎え" in json.dumps(f, ensure_ascii=False), "the offers")
    box.compare("ride-offers")
    box.press("green")
    box.wait_frame(lambda f: "予約しました" in f["title"]
                   or (f["dialog"] is not None and "予約しました" in f["dialog"]["title"]), "the booking")
    box.compare("ride-booked")
    box.press("ok")  # any key closes the receipt
    plan = headend(vm, "ride plan")
    log("head-end plan: " + " | ".join(plan.splitlines()[:3]))
    box.press("home")
    box.compare("home-after-ride")

    # 「タクシーが まもなく 来ます」 ten minutes before the pickup. The card
    # shows in [pickup - 10 min, pickup + 15 min) on every start; the clock is
    # then moved past that, so the card cannot come up in the middle of a
    # later stage's keys (it takes the next key, whatever it was).
    m = re.search(r"(\d\d):(\d\d)\s+お迎え", plan)
    if not m:
        raise VmError(f"no pickup in the head-end's plan:\n{plan}")
    now = tokyo_now(vm)
    pickup = now.replace(hour=int(m.group(1)), minute=int(m.group(2)), second=0)
    ahead = (pickup - datetime.timedelta(minutes=10) - now).total_seconds()
    if ahead > 0:
        vm.advance_clock(ahead)
        log(f"  the guest's clock moved on {ahead:.0f} s to {tokyo_now(vm):%H:%M:%S}")
    box.wait_frame(is_ride_card, f"the taxi card for the {pickup:%H:%M} pickup", timeout=120)
    box.compare("ride-soon-card")
    box.press("ok")  # any key closes it
    box.wait_frame(lambda f: f["overlay"] is None, "the taxi card gone after a key")
    ahead = (pickup + datetime.timedelta(minutes=16) - tokyo_now(vm)).total_seconds()
    vm.advance_clock(ahead)
    log(f"  the guest's clock moved on {ahead:.0f} s past the pickup, to {tokyo_now(vm):%H:%M:%S}")


def walk(box, vm, log, keys=30):
    """A seeded walk over the screens with a CPU hog beside engawa in the
    guest: after every key the DRM frame equals a fresh render (the live path
    of the stale-title bug, on DRM). No 決定 or 緑: nothing is ordered."""
    import random
    rng = random.Random(11)
    names = ["1", "2", "3", "1", "2", "3", "up", "down", "left", "right", "down", "back", "home", "blue"]
    vm.sh("(nice -n 5 sh -c 'while :; do :; done' >/dev/null 2>&1 &) ; true")
    box.press("home")
    titles = set()
    try:
        for i in range(keys):
            name = rng.choice(names)
            box.press(name)
            box.compare(f"walk-{i:02d}-{name}")
            titles.add(box.title())
    finally:
        vm.sh("pkill -f 'while :; do :; done' || true")
    box.press("home")
    log(f"walk: {keys} keys with a CPU hog in the guest, every DRM frame = fresh render; "
        f"{len(titles)} screens: {' / '.join(sorted(titles))}")


def box_sql(vm, query):
    return vm.sh(f"runuser -u engawa -- sqlite3 {BOX_DB} \"{query}\"")


def reboot(box, vm, log):
    """Power back on from the same disk; wait for engawa on the screen and a shell."""
    vm.start()
    vm.login()
    vm.sh("mountpoint -q /mnt/host || mount /mnt/host")
    box.wait_frame(lambda f: f["page"] is not None, "engawa after the reboot", timeout=180)
    log(f"rebooted: engawa shows 「{box.title()}」")


def power_cuts(box, vm, log):
    # 1. In the middle of an order: 緑 on the cart, then the power goes at once.
    box.press("home", "1")
    box.wait_frame(lambda f: any("いつもの" in t["label"] for t in f["tiles"]), "the shop")
    box.press(number_of(box.frame()["frame"], "いつもの"), "1", "ok", "green")
    box.compare("cut-cart")
    code = box.keymap[REMOTE["green"]]
    vm.sh(f"ir-ctl -d /dev/lirc0 -S nec:{code:#06x}")
    vm.power_cut()
    log("power cut right after 緑 on the cart")
    reboot(box, vm, log)
    deadline = time.monotonic() + 120
    while True:
        pending = box_sql(vm, "SELECT count(*) FROM outbox WHERE state = 'pending'")
        if pending == "0" or time.monotonic() > deadline:
            break
        time.sleep(2)
    done = int(box_sql(vm, "SELECT count(*) FROM outbox WHERE kind = 'order' AND state = 'done'"))
    void = int(box_sql(vm, "SELECT count(*) FROM outbox WHERE state = 'void'"))
    at_headend = int(re.search(r"(\d+) orders", headend(vm, "orders")).group(1))
    log(f"after the cut: box outbox done {done}, void {void}, pending {pending}; head-end orders {at_headend}")
    if pending != "0" or done != at_headend or at_headend not in (2, 3):
        raise VmError(f"an order was lost or doubled: box done {done}, pending {pending}, head-end {at_headend}")
    box.compare("after-cut-order")
    box.press("home")

    # 2. While a reminder is due: the card is up, the power goes, the card comes back once.
    due = make_reminder(box, vm, log)
    wait_reminder(box, vm, due, log)
    rid = box_sql(vm, "SELECT max(id) FROM reminders")
    vm.power_cut()
    log(f"power cut while the {due:%H:%M} reminder is on screen")
    reboot(box, vm, log)
    box.wait_frame(is_reminder_card, "the reminder again after the cut", timeout=120)
    box.compare("reminder-after-cut")
    box.press("ok")
    box.wait_frame(lambda f: f["overlay"] is None, "the reminder card gone after 決定")
    rows = box_sql(vm, f"SELECT state || ':' || count(*) FROM occurrences WHERE reminder_id = {rid} GROUP BY state")
    log(f"occurrences of reminder {rid}: {rows}")
    if rows.strip() != "done:1":
        raise VmError(f"reminder {rid} should be shown and answered once: {rows}")


def disaster(box, vm, household, figures, log):
    """防災: the headquarters' 避難指示 (by the head-end's CLI) reaches the TV
    over the alert stream and covers it; 決定 決定 by IR answers 「無事です」,
    the TV says 「つたえました」 once the head-end has it, the board counts it;
    home shows the banner; lifting the order clears it."""
    box.press("home")
    box.wait_frame(lambda f: f["overlay"] is None and f.get("alert") is None, "home without a card", timeout=60)
    t0 = time.monotonic()
    out = headend(vm, "alert order --municipality 209996 --order evacuate --hazard flood --district 中心部")
    campaign = re.search(r"campaign (\d+)", out).group(1)
    d = box.wait_frame(lambda f: f.get("alert") is not None, "the alert card", timeout=60)
    figures["alert"] = time.monotonic() - t0
    card = d["frame"]["alert"]
    log(f"alert card on the TV {figures['alert']:.1f} s after the order: 「{card['band']}」 「{card['what']}」")
    if card["level"] != 4 or "避難指示" not in card["what"]:
        raise VmError(f"the card says {card}")
    box.compare("alert")
    box.press("ok")
    box.wait_frame(lambda f: f.get("alert") and "もういちど" in f["alert"]["note"], "the second-press prompt")
    box.press("ok")
    d = box.wait_frame(lambda f: f.get("alert") and "つたえました" in f["alert"]["note"], "「つたえました」", timeout=60)
    log(f"two presses of 決定 by IR: 「{d['frame']['alert']['note']}」")
    box.compare("alert-told")
    board = headend(vm, f"alert board {campaign}")
    if not re.search(r"無事\s+1\b", board):
        raise VmError(f"the board does not count the answer:\n{board}")
    log("the head-end's board counts it: " + board.strip().splitlines()[0])
    box.press("ok")
    box.wait_frame(lambda f: f.get("alert") is None and f.get("banner"), "home with the banner")
    box.compare("alert-banner")
    log(headend(vm, f"alert lift {campaign}").strip())
    box.wait_frame(lambda f: f.get("banner") is None and f.get("alert") is None, "the banner gone", timeout=60)
    log("lifted: the banner is gone")


def answer_cards(box, log, until, what, timeout):
    """Waits for `until`, answering the reminder cards that come first (a day
    moved on brings the day's missed reminders, shown late)."""
    deadline = time.monotonic() + timeout
    while True:
        d = box.wait_frame(lambda f: until(f) or is_reminder_card(f), what,
                           timeout=max(1, deadline - time.monotonic()))
        if until(d["frame"]):
            return d
        log(f"  a reminder card first: 「{d['frame']['overlay']['text']}」 {d['frame']['overlay']['note']}")
        box.press("ok")


def is_wellbeing_prompt(f):
    return f["overlay"] is not None and f["overlay"]["label"] == "見守り"


def watch_state(vm):
    return box_sql(vm, "SELECT state FROM watch_state")


def wellbeing(box, vm, log):
    """A day without a key press: 「お元気ですか？」 on the TV, answered by IR."""
    box.press("home")
    box.wait_frame(lambda f: f["overlay"] is None, "the home screen without a card", timeout=60)
    vm.advance_clock(25 * 3600)
    log(f"the guest's clock moved on 25 hours to {tokyo_now(vm):%m-%d %H:%M} (no key pressed since)")
    answer_cards(box, log, is_wellbeing_prompt, "「お元気ですか？」", timeout=180)
    log(f"the TV asks 「お元気ですか？」; the box's watch state: {watch_state(vm)}")
    box.compare("wellbeing-prompt")
    box.press("ok")
    answer_cards(box, log, lambda f: f["overlay"] is None, "the prompt answered", timeout=60)
    state = watch_state(vm)
    if "Prompting" in state or "Alerted" in state:
        raise VmError(f"the prompt was answered but the watch state is {state}")
    alerts = box_sql(vm, "SELECT count(*) FROM watch_alerts")
    if alerts != "0":
        raise VmError(f"answered in time, yet {alerts} watch-over alerts were made")
    log(f"answered with 決定: watch state {state}, no alert made")
    box.compare("wellbeing-answered")


def bad_remote(box, vm, log):
    """Scancodes the keymap does not know, raw IR noise and a flood of keys:
    engawa neither freezes nor restarts, and the next real key works."""
    pid = vm.sh("systemctl show -p MainPID --value engawa")
    box.press("home")
    vm.sh("for i in $(seq 0 40); do ir-ctl -d /dev/lirc0 -S nec:$(printf '0x%04x' $((RANDOM % 65536))); done")
    # Noise: pulses and spaces of random lengths that no decoder accepts, ten
    # bursts of 301 (the kernel takes at most 500 ms of IR in one send).
    vm.sh("(for s in $(seq 1 10); do awk -v s=$s 'BEGIN {srand(s); for (i = 0; i < 301; i++) "
          "printf \"%s %d\\n\", (i % 2 ? \"space\" : \"pulse\"), 50 + int(rand() * 2000)}' "
          "> /tmp/noise.txt && ir-ctl -d /dev/lirc0 --send=/tmp/noise.txt || exit 1; done)")
    # A flood: 300 real keys as fast as the transmitter goes (▼ and ▲ on the
    # reminder list, so every one changes the frame).
    down, up = box.keymap[REMOTE["down"]], box.keymap[REMOTE["up"]]
    box.press("3", "1")
    flood = " ".join(f"-S nec:{c:#06x}" for c in [down, up] * 30)
    t0 = time.monotonic()
    vm.sh(f"for i in 1 2 3 4 5; do ir-ctl -d /dev/lirc0 {flood}; done", timeout=300)
    sent = time.monotonic() - t0
    box.press("home")
    box.wait_frame(lambda f: f["page"] == "Home", "home after the flood", timeout=30)
    after = vm.sh("systemctl show -p MainPID --value engawa")
    if after != pid:
        raise VmError(f"engawa restarted during the bad remote (pid {pid} → {after})")
    log(f"41 unknown scancodes, 3010 noise pulses and 300 keys in {sent:.0f} s: "
        f"no restart (pid {pid}), ホーム answers the next key")
    box.compare("after-bad-remote")


def reenumerate_receiver(vm):
    """The IR receiver goes and comes back (as a USB receiver re-plugged):
    udev runs load-keymap for the new rc device."""
    vm.sh("modprobe -r rc-loopback && modprobe rc-loopback && udevadm settle "
          "&& for i in $(seq 1 50); do [ -e /dev/lirc0 ] && break; sleep 0.2; done; [ -e /dev/lirc0 ]")
    time.sleep(4)  # engawa looks for new devices every two seconds


def bad_keymap(box, vm, log):
    """The operator's keymap named in box.toml, then broken by an edit: the
    re-plugged receiver gets the last good one from udev, engawa keeps (and,
    restarted, starts with) the last good one, and IR works throughout."""
    vm.sh("cp /usr/share/engawa/keymaps/engawa-remote.toml /etc/engawa/remote.toml "
          "&& cp -a /etc/engawa/box.toml /root/box.toml.orig "
          "&& sed -i 's|^# keymap = .*|keymap = \"/etc/engawa/remote.toml\"|' /etc/engawa/box.toml "
          "&& grep -q '^keymap = \"/etc/engawa/remote.toml\"' /etc/engawa/box.toml "
          "&& systemctl restart engawa")
    box.wait_frame(lambda f: f["page"] == "Home", "home with the operator's keymap", timeout=120)
    since = vm.sh("date +%s")
    reenumerate_receiver(vm)
    loaded = vm.sh(f"journalctl -t engawa-keymap --since @{since} -o cat --no-pager")
    if "/etc/engawa/remote.toml loaded" not in loaded:
        raise VmError(f"udev did not load the operator's keymap into the new receiver:\n{loaded}")
    # A typo in the operator's file.
    vm.sh("sed -i 's|KEY_HOME|KEY_HOMME|' /etc/engawa/remote.toml")
    since = vm.sh("date +%s")
    time.sleep(4)
    reenumerate_receiver(vm)
    box.press("3")
    box.press("home")
    if box.title() != "ホーム":
        raise VmError(f"IR with a broken keymap: ホーム gave 「{box.title()}」")
    udev = vm.sh(f"journalctl -t engawa-keymap --since @{since} -o cat --no-pager")
    if "has errors, loading the last good one" not in udev:
        raise VmError(f"load-keymap did not fall back to the last good keymap:\n{udev}")
    vm.sh("systemctl restart engawa")
    box.wait_frame(lambda f: f["page"] == "Home", "engawa started with a broken keymap", timeout=120)
    box.press("3")
    box.press("home")
    engawa = vm.sh(f"journalctl -u engawa -p err --since @{since} -o cat --no-pager | grep -i keymap | head -n 2")
    if box.title() != "ホーム" or "last good" not in engawa:
        raise VmError(f"engawa with a broken keymap: 「{box.title()}」, journal 「{engawa}」")
    log(f"broken keymap: udev loaded the last good one into the re-plugged receiver, engawa "
        f"started with it, ホーム works; journal 「{udev.splitlines()[0][:140]}」")
    box.compare("broken-keymap")
    vm.sh("cp -a /root/box.toml.orig /etc/engawa/box.toml && rm /etc/engawa/remote.toml "
          "&& systemctl restart engawa")
    box.wait_frame(lambda f: f["page"] == "Home", "home with the package's keymap", timeout=120)
    reenumerate_receiver(vm)


DROPIN = "/run/systemd/system/engawa.service.d"
STORAGE_TROUBLE = "記録に 問題"


def engawa_pid(vm):
    return vm.sh("systemctl show -p MainPID --value engawa")


def with_dropin(vm, text):
    """A runtime drop-in for engawa.service (gone at the next boot); None removes it."""
    if text is None:
        vm.sh(f"rm -f {DROPIN}/fault.conf && systemctl daemon-reload")
    else:
        vm.sh(f"mkdir -p {DROPIN} && printf '[Service]\\n{text}\\n' > {DROPIN}/fault.conf "
              "&& systemctl daemon-reload")


def start_again(box, vm, log):
    vm.sh("systemctl reset-failed engawa; systemctl restart engawa")
    box.wait_frame(lambda f: f["page"] is not None and f["dialog"] is None, "engawa running again",
                   timeout=120)


def cannot_start(box, vm, log, what, dropin, cause):
    """engawa cannot start: one journal error naming the cause per start, five
    starts, then the unit stays failed (no restart loop)."""
    with_dropin(vm, dropin)
    since = vm.sh("date +%s")
    vm.sh("systemctl reset-failed engawa; systemctl restart engawa")
    deadline = time.monotonic() + 180
    while vm.sh("systemctl is-failed engawa", check=False) != "failed":
        if time.monotonic() > deadline:
            raise VmError(f"{what}: engawa did not give up after its restart limit")
        time.sleep(2)
    errors = vm.sh(f"journalctl -u engawa -p err --since @{since} -o cat --no-pager")
    named = errors.count(cause)
    panics = vm.sh(f"journalctl -u engawa --since @{since} -o cat --no-pager | grep -c panicked || true")
    first = next((line for line in errors.splitlines() if cause in line), "")[:160]
    log(f"{what}: {named} starts, each logged 「{first.strip()}」; then failed (rate limit), {panics} panics")
    if named != 5 or panics != "0":
        raise VmError(f"{what}: expected 5 starts naming 「{cause}」 and no panic:\n{errors}")
    with_dropin(vm, None)
    start_again(box, vm, log)


def trouble_shown(box, vm, log, what, timeout=120):
    """Presses ▼ now and then until the storage trouble is on screen."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        f = box.frame()["frame"]
        if f["dialog"] is not None and STORAGE_TROUBLE in f["dialog"]["body"] + f["dialog"]["title"]:
            return f
        box.press("down", settle=False)
        time.sleep(3)
    raise VmError(f"{what}: the TV never said 「{STORAGE_TROUBLE}」")


def faults(box, vm, log):
    """No display, no font, a damaged database, a read-only and a full disk."""
    box.press("home")
    cannot_start(box, vm, log, "no DRM device", "InaccessiblePaths=/dev/dri", "cannot open the screen")
    cannot_start(box, vm, log, "no font", "InaccessiblePaths=/usr/share/fonts", "no system font")

    # A damaged database: the TV says so (and to phone), the file is kept.
    # (The write-ahead log goes aside too: its pages could hide the damage.)
    vm.sh(f"systemctl stop engawa && mkdir -p /root/good && cp -a {BOX_DB}* /root/good/ "
          f"&& rm -f {BOX_DB}-wal {BOX_DB}-shm "
          f"&& dd if=/dev/urandom of={BOX_DB} bs=1024 count=8 conv=notrunc status=none")
    since = vm.sh("date +%s")
    vm.sh("systemctl restart engawa")
    box.wait_frame(lambda f: f["dialog"] is not None and STORAGE_TROUBLE in f["dialog"]["body"],
                   "the damaged database on screen", timeout=120)
    pid = engawa_pid(vm)
    box.compare("damaged-database")
    time.sleep(5)
    line = vm.sh(f"journalctl -u engawa -p err --since @{since} -o cat --no-pager | head -n 1")
    if "damaged" not in line or engawa_pid(vm) != pid:
        raise VmError(f"damaged database: journal 「{line}」, pid {pid} → {engawa_pid(vm)}")
    log(f"damaged database: the TV says 「{STORAGE_TROUBLE}… お電話ください」, engawa keeps running, "
        f"journal: 「{line}」")
    vm.sh(f"systemctl stop engawa && mv {BOX_DB} /root/engawa.db.damaged "
          f"&& cp -a /root/good/* /var/lib/engawa/")
    start_again(box, vm, log)

    # A read-only disk at start (ext4 remounts itself read-only after write
    # errors; sysrq "u" does the same at once): the TV says so, no restart loop.
    vm.sh("systemctl stop engawa && dmesg -n 1 && echo 1 > /proc/sys/kernel/sysrq && echo u > /proc/sysrq-trigger "
          "&& sleep 1 && findmnt -n -o OPTIONS / | grep -q '^ro'")
    trouble_at_start(box, vm, log, "read-only disk", "Read-only file system")
    vm.sh("mount -o remount,rw / && systemctl restart engawa")
    box.wait_frame(lambda f: f["page"] == "Home" and f["dialog"] is None, "home with the disk writable again")

    # The disk fills up under a running box (the reserve is root's): the next
    # write shows the trouble, nothing restarts; then at start, the same screen.
    pid = engawa_pid(vm)
    since = vm.sh("date +%s")
    vm.sh("fallocate -l $(df --output=avail -B1 / | tail -n 1) /fill")
    box.press("3", "1")
    trouble_shown(box, vm, log, "full disk")
    box.compare("full-disk")
    line = vm.sh(f"journalctl -u engawa -p err --since @{since} -o cat --no-pager | head -n 1")
    if engawa_pid(vm) != pid or "full" not in line:
        raise VmError(f"full disk: pid {pid} → {engawa_pid(vm)}, journal 「{line}」")
    log(f"full disk while running: the TV says 「{STORAGE_TROUBLE}」, no restart; journal 「{line}」")
    vm.sh("systemctl restart engawa")
    trouble_at_start(box, vm, log, "full disk", "No space left on device")
    vm.sh("rm -f /fill && systemctl restart engawa")
    box.wait_frame(lambda f: f["page"] == "Home" and f["dialog"] is None, "home with room on the disk again")
    check = box_sql(vm, "PRAGMA quick_check")
    if check != "ok":
        raise VmError(f"after the disk faults the database says {check}")
    log("disk mended: engawa back on ホーム, the database passes quick_check")


def trouble_at_start(box, vm, log, what, cause):
    """engawa started on a disk it cannot write: the storage trouble on the TV,
    one journal error naming the cause, and it stays up (no restart loop)."""
    since = vm.sh("date +%s")
    vm.sh("systemctl reset-failed engawa; systemctl restart engawa")
    box.wait_frame(lambda f: f["dialog"] is not None and STORAGE_TROUBLE in f["dialog"]["body"],
                   f"the {what} on screen", timeout=120)
    pid = engawa_pid(vm)
    box.compare(f"{what.replace(' ', '-')}-at-start")
    time.sleep(5)
    line = vm.sh(f"journalctl -u engawa -p err --since @{since} -o cat --no-pager | head -n 1")
    if cause not in line or engawa_pid(vm) != pid:
        raise VmError(f"{what} at start: journal 「{line}」, pid {pid} → {engawa_pid(vm)}")
    log(f"{what} at start: the TV says 「{STORAGE_TROUBLE}… お電話ください」, engawa stays up; "
        f"journal 「{line}」")


def hot_plug(box, vm, log):
    """A USB keyboard plugged in while running works; unplugging it leaves IR alone."""
    box.press("home")
    vm.qmp("device_add", driver="usb-kbd", id="kbd1", bus="xhci.0")
    box.wait_frame(lambda f: True, "a frame")
    deadline = time.monotonic() + 30
    while "USB" not in vm.sh("cat /proc/bus/input/devices | grep -i 'qemu usb keyboard' || true") \
            and time.monotonic() < deadline:
        time.sleep(1)
    time.sleep(4)  # engawa looks for new devices every two seconds
    before = box.content(box.frame())
    irq = "grep -i xhci /proc/interrupts | awk '{for (i=2; i<=NF; i++) if ($i ~ /^[0-9]+$/) s+=$i} END {print s+0}'"
    irq_before = int(vm.sh(irq) or 0)
    # QEMU hands keys to the newest keyboard that the guest is using: the USB one.
    for down in (True, False):
        vm.qmp("input-send-event",
               events=[{"type": "key", "data": {"down": down, "key": {"type": "qcode", "data": "3"}}}])
    box.settle(before)
    irq_after = int(vm.sh(irq) or 0)
    if "安心" not in box.title():
        raise VmError(f"the plugged-in keyboard's 3 did not open 安心: 「{box.title()}」")
    if irq_after <= irq_before:
        raise VmError("the 3 did not come through the USB controller")
    devices = vm.sh("journalctl -u engawa --no-pager -b | grep -c 'reading remote control' || true")
    log(f"hot-plugged USB keyboard: its 3 opened 安心 (xhci interrupts {irq_before} → {irq_after}; "
        f"engawa has opened {devices} input devices this boot)")
    box.compare("usb-keyboard")
    vm.qmp("device_del", id="kbd1")
    time.sleep(3)
    box.press("home")
    if box.title() != "ホーム":
        raise VmError(f"IR after unplugging the keyboard: 「{box.title()}」")
    log("keyboard unplugged: IR still works")
    box.compare("ir-after-unplug")


def upgrade_and_purge(box, vm, debs, log):
    for f in os.listdir(debs):
        if f.endswith(".deb"):
            shutil.copy(os.path.join(debs, f), vm.share)
    reminders = box_sql(vm, "SELECT count(*) FROM reminders")
    pids = (engawa_pid(vm), vm.sh("systemctl show -p MainPID --value engawa-headend"))
    vm.sh("DEBIAN_FRONTEND=noninteractive apt-get install -y -q /mnt/host/engawa_*-2_amd64.deb "
          "/mnt/host/engawa-headend_*-2_amd64.deb >/tmp/upgrade.log 2>&1 || { cat /tmp/upgrade.log; false; }",
          timeout=300)
    log(vm.sh("dpkg-query -W engawa engawa-headend").replace("\n", ", "))
    vm.sh("systemctl is-active engawa engawa-headend")
    after = (engawa_pid(vm), vm.sh("systemctl show -p MainPID --value engawa-headend"))
    if after[0] == pids[0] or after[1] == pids[1]:
        raise VmError(f"the upgrade did not restart both services on the new binaries: {pids} → {after}")
    box.wait_frame(lambda f: f["page"] == "Home", "home after the upgrade", timeout=120)
    if box_sql(vm, "SELECT count(*) FROM reminders") != reminders:
        raise VmError("the upgrade lost reminders")
    if "127.0.0.1:8080" not in vm.sh("grep '^url' /etc/engawa/box.toml"):
        raise VmError("the upgrade replaced the changed /etc/engawa/box.toml")
    orders = box_sql(vm, "SELECT count(*) FROM outbox WHERE kind = 'order' AND state = 'done'")
    log(f"upgraded: box paired and on home, {reminders} reminders and {orders} sent orders kept, "
        "box.toml kept")
    box.compare("after-upgrade")
    vm.sh("DEBIAN_FRONTEND=noninteractive apt-get purge -y -q engawa engawa-headend >/tmp/purge.log 2>&1 "
          "|| { cat /tmp/purge.log; false; }", timeout=300)
    left = vm.sh("ls -d /var/lib/engawa /var/lib/engawa-headend /etc/engawa /etc/engawa-headend "
                 "2>/dev/null; getent passwd engawa engawa-headend; true")
    if left.strip():
        raise VmError(f"purge left: {left}")
    log("purged: no state, configuration or users left")


def latency(box, vm, keys, log):
    """IR scancode sent → a changed frame on the DRM device, over many keys."""
    box.press("home")
    box.press("3")
    box.press("1")  # the reminder list: ▲▼ move the focus
    path = os.path.join(vm.share, "lat.ppm")
    _, _, prev = vm.screendump(path)
    samples = []
    for i in range(keys):
        name = "down" if i % 2 == 0 else "up"  # the list has two rows or more
        code = box.keymap[REMOTE[name]]
        t0 = time.monotonic()
        vm.send(f"ir-ctl -d /dev/lirc0 -S nec:{code:#06x}")
        while True:
            _, _, px = vm.screendump(path)
            if px != prev:
                samples.append(time.monotonic() - t0)
                prev = px
                break
            if time.monotonic() - t0 > 10:
                log(f"  key {i}: no new frame within 10 s")
                break
    vm.sh("true")
    samples.sort()
    p = lambda q: samples[min(len(samples) - 1, int(len(samples) * q))]  # noqa: E731
    figures = {"n": len(samples), "p50": p(0.5), "p99": p(0.99), "max": samples[-1]}
    log(f"IR → DRM frame over {len(samples)} keys: p50 {figures['p50'] * 1000:.0f} ms, "
        f"p99 {figures['p99'] * 1000:.0f} ms")
    return figures


def print_figures(f, box, log):
    log("figures (QEMU TCG on this host: a slow box, not a fast one)")
    log(f"  boot: QEMU start → first engawa frame on DRM   {f['boot']:.1f} s")
    lat = f.get("latency")
    if lat:
        log(f"  IR key → DRM frame ({lat['n']} keys, host send → changed screendump)  "
            f"p50 {lat['p50'] * 1000:.0f} ms  p99 {lat['p99'] * 1000:.0f} ms  max {lat['max'] * 1000:.0f} ms")
    if "alert" in f:
        log(f"  HQ order (CLI) → alert card in the box's frame   {f['alert']:.1f} s")
    log(f"  engawa RSS in the guest   {f['rss']:.1f} MB")
    log(f"  systemd-analyze security: engawa-headend {f['exposure engawa-headend']}, "
        f"engawa {f['exposure engawa']}")
    log(f"  frames compared with fresh renders: {len(box.compared)}, all equal")


RUNNING = []
STAGES = ["flows", "walk", "latency", "disaster", "power_cuts", "wellbeing", "bad_remote", "bad_keymap", "faults", "hot_plug", "upgrade"]


if __name__ == "__main__":
    try:
        main()
    except VmError as e:
        print(f"box-vm: FAILED: {e}", file=sys.stderr)
        sys.exit(1)
    finally:
        for vm in RUNNING:
            if vm.proc and vm.proc.poll() is None:
                vm.proc.kill()
