"""A Debian box in QEMU (TCG) for tests/box-vm: the serial console as a shell,
QMP for the screen, power and hot-plug, a 9p folder shared with the host.

Only the Python standard library: CI runs this with Debian's /usr/bin/python3.
"""

import json
import os
import re
import socket
import subprocess
import threading
import time
import zlib

GUEST_WIDTH, GUEST_HEIGHT = 1920, 1080


class VmError(Exception):
    pass


class Vm:
    def __init__(self, work, image, kernel, initrd, share, rtc_base, log):
        self.work = work
        self.image, self.kernel, self.initrd, self.share = image, kernel, initrd, share
        self.rtc_base = rtc_base
        self.skipped = 0  # seconds the guest's clock was moved on
        self.log = log
        self.serial_path = os.path.join(work, "serial.sock")
        self.qmp_path = os.path.join(work, "qmp.sock")
        self.proc = None
        self.buf = b""
        self.lock = threading.Condition()
        self.n = 0
        self.started = None
        self.first_started = None

    # ---- life cycle -------------------------------------------------------
    def start(self):
        for p in (self.serial_path, self.qmp_path):
            if os.path.exists(p):
                os.unlink(p)
        cmd = [
            "qemu-system-x86_64", "-accel", "tcg", "-m", "2048", "-smp", "2",
            "-nic", "none", "-no-reboot",
            "-kernel", self.kernel, "-initrd", self.initrd,
            "-append", "root=/dev/vda rw console=ttyS0 quiet loglevel=3 systemd.show_status=0",
            "-drive", f"file={self.image},format=raw,if=virtio",
            "-device", f"virtio-gpu-pci,xres={GUEST_WIDTH},yres={GUEST_HEIGHT}",
            "-display", "none", "-vga", "none",
            "-device", "qemu-xhci,id=xhci",
            "-virtfs", f"local,path={self.share},mount_tag=host,security_model=none,id=host",
            "-rtc", f"base={self._rtc_now()},clock=host",
            "-serial", f"unix:{self.serial_path},server=on,wait=off",
            "-qmp", f"unix:{self.qmp_path},server=on,wait=off",
        ]
        self.log(" ".join(cmd))
        self.started = time.monotonic()
        if self.first_started is None:
            self.first_started = self.started
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                     stdout=open(os.path.join(self.work, "qemu.log"), "ab"),
                                     stderr=subprocess.STDOUT)
        self.serial = self._connect(self.serial_path)
        self.qmp_sock = self._connect(self.qmp_path)
        self.qmp_file = self.qmp_sock.makefile("rwb")
        self._qmp_read()  # greeting
        self.qmp("qmp_capabilities")
        self.buf = b""
        threading.Thread(target=self._reader, daemon=True).start()

    def _rtc_now(self):
        """The guest's clock: the chosen start, plus the time since the first
        boot (a power cut must not turn the clock back)."""
        import datetime
        base = datetime.datetime.strptime(self.rtc_base, "%Y-%m-%dT%H:%M:%S")
        if self.first_started is not None:
            base += datetime.timedelta(seconds=time.monotonic() - self.first_started)
        return (base + datetime.timedelta(seconds=self.skipped)).strftime("%Y-%m-%dT%H:%M:%S")

    def advance_clock(self, seconds):
        """Moves the guest's clock on (a day passes); later boots keep it."""
        self.sh(f"date -s @$(( $(date +%s) + {int(seconds)} )) >/dev/null")
        self.skipped += int(seconds)

    def _connect(self, path):
        deadline = time.monotonic() + 30
        while True:
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(path)
                return s
            except OSError:
                if time.monotonic() > deadline or (self.proc and self.proc.poll() is not None):
                    raise VmError(f"QEMU did not open {path}; see qemu.log")
                time.sleep(0.1)

    def _reader(self):
        raw = open(os.path.join(self.work, "serial.log"), "ab")
        while True:
            try:
                data = self.serial.recv(65536)
            except OSError:
                data = b""
            if not data:
                with self.lock:
                    self.lock.notify_all()
                return
            raw.write(data)
            raw.flush()
            with self.lock:
                self.buf += data
                self.lock.notify_all()

    def power_cut(self):
        """QMP quit: the machine stops at once, no shutdown, nothing flushed."""
        try:
            self.qmp("quit")
        except (OSError, VmError):
            pass
        self.proc.wait(timeout=30)
        for s in (self.serial, self.qmp_sock):
            try:
                s.close()
            except OSError:
                pass

    # ---- QMP --------------------------------------------------------------
    def _qmp_read(self):
        while True:
            line = self.qmp_file.readline()
            if not line:
                raise VmError("QMP closed")
            msg = json.loads(line)
            if "event" in msg:
                continue
            return msg

    def qmp(self, command, **args):
        msg = {"execute": command}
        if args:
            msg["arguments"] = args
        self.qmp_file.write(json.dumps(msg).encode() + b"\n")
        self.qmp_file.flush()
        reply = self._qmp_read()
        if "error" in reply:
            raise VmError(f"QMP {command}: {reply['error']}")
        return reply.get("return")

    def screendump(self, path):
        """The frame the guest shows, as binary PPM; returns (w, h, bytes)."""
        self.qmp("screendump", filename=path)
        return read_ppm(path)

    # ---- the serial console as a shell -----------------------------------
    def wait_for(self, pattern, timeout):
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self.lock:
            while True:
                m = rx.search(self.buf)
                if m:
                    self.buf = self.buf[m.end():]
                    return m
                left = deadline - time.monotonic()
                if left <= 0:
                    tail = self.buf[-600:].decode(errors="replace")
                    raise VmError(f"no {pattern!r} on the serial console within {timeout} s; last: {tail}")
                self.lock.wait(min(left, 1.0))

    def login(self, timeout=300):
        self.wait_for(rb"root@engawa-vm:[^\n]*# ", timeout)
        self.send("stty -echo cols 250; export PS1= PS2= TERM=dumb SYSTEMD_PAGER= SYSTEMD_COLORS=0")
        time.sleep(0.5)
        self.sh("true")

    def send(self, line):
        self.serial.sendall(line.encode() + b"\n")

    def sh(self, command, timeout=120, check=True):
        """Run a shell command in the guest; returns its output (str)."""
        self.n += 1
        # The marker is written split so the command's own echo never matches it.
        marker = f"DONE{self.n}"
        with self.lock:
            self.buf = b""
        self.send(f"{command}; echo \"@@D\"\"ONE{self.n} $?@@\"")
        m = self.wait_for(rb"(?s)(.*?)@@" + marker.encode() + rb" (\d+)@@", timeout)
        out = m.group(1).decode(errors="replace").replace("\r", "")
        rc = int(m.group(2))
        if check and rc != 0:
            raise VmError(f"guest command failed ({rc}): {command}\n{out}")
        return out.strip("\n")


def read_ppm(path):
    with open(path, "rb") as f:
        data = f.read()
    # P6\n<w> <h>\n255\n
    parts = data.split(b"\n", 3)
    if parts[0] != b"P6":
        raise VmError(f"{path}: not a binary PPM")
    w, h = (int(x) for x in parts[1].split())
    pixels = parts[3]
    if len(pixels) != w * h * 3:
        raise VmError(f"{path}: {len(pixels)} bytes for {w}x{h}")
    return w, h, pixels


def write_png(path, w, h, pixels):
    raw = b"".join(b"\x00" + pixels[y * w * 3:(y + 1) * w * 3] for y in range(h))

    def chunk(kind, body):
        c = kind + body
        return len(body).to_bytes(4, "big") + c + zlib.crc32(c).to_bytes(4, "big")

    png = b"\x89PNG\r\n\x1a\n"
    png += chunk(b"IHDR", w.to_bytes(4, "big") + h.to_bytes(4, "big") + bytes([8, 2, 0, 0, 0]))
    png += chunk(b"IDAT", zlib.compress(raw, 6))
    png += chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(png)


def differing(a, b, w, tolerance=24):
    """Pixels where a channel differs by more than the tolerance (whole rows
    that are equal are skipped, so equal frames cost almost nothing)."""
    row = w * 3
    bad = 0
    for y in range(len(a) // row):
        ra, rb = a[y * row:(y + 1) * row], b[y * row:(y + 1) * row]
        if ra == rb:
            continue
        for x in range(0, row, 3):
            if (abs(ra[x] - rb[x]) > tolerance or abs(ra[x + 1] - rb[x + 1]) > tolerance
                    or abs(ra[x + 2] - rb[x + 2]) > tolerance):
                bad += 1
    return bad


def share_of_colour(pixels, rgb, step=97):
    """Share of sampled pixels of exactly this colour."""
    n = hit = 0
    for i in range(0, len(pixels) - 2, 3 * step):
        n += 1
        if pixels[i] == rgb[0] and pixels[i + 1] == rgb[1] and pixels[i + 2] == rgb[2]:
            hit += 1
    return hit / max(n, 1)
