//! A real SMTP server for tests: `smtp_sink.py` (aiosmtpd) on 127.0.0.1 writing a
//! Maildir, refusing recipients named `nobody…` for good. Shared by the box's and
//! the head-end's tests (`#[path]`-included).
#![allow(dead_code)] // each test file uses its own part

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Smtp {
    child: Child,
    pub port: u16,
    pub maildir: PathBuf,
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Smtp {
    pub fn start(port: u16, maildir: &Path) -> Smtp {
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
        let script = ["tests/support", "../../tests/support"]
            .iter()
            .map(|d| manifest.join(d).join("smtp_sink.py"))
            .find(|p| p.exists())
            .expect("tests/support/smtp_sink.py");
        let child = Command::new("/usr/bin/python3")
            .arg(script)
            .arg(port.to_string())
            .arg(maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3-aiosmtpd (tests/run installs it)");
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "the SMTP sink did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Smtp {
            child,
            port,
            maildir: maildir.to_path_buf(),
        }
    }

    pub fn stop(mut self) {
        self.kill();
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        self.kill();
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct Mail {
    pub message_id: String,
    pub to: String,
    pub subject: String,
    pub from: String,
    pub body: String,
}

/// Every delivered mail, decoded by Python's own email parser.
pub fn delivered(maildir: &Path) -> Vec<Mail> {
    let out = Command::new("/usr/bin/python3")
        .arg("-c")
        .arg(
            "import sys, glob, json, email, os, re
from email import policy
# Delivery order: Maildir names are SECONDS.M<usec>P<pid>Q<n>.host, and the
# microseconds are not zero-padded, so a plain sort can put a later mail first.
def order(f):
    m = re.match(r'(\\d+)\\.M(\\d+)P\\d+Q(\\d+)', os.path.basename(f))
    return tuple(int(x) for x in m.groups()) if m else (0, 0, 0)
res = []
for f in sorted(glob.glob(sys.argv[1] + '/new/*'), key=order):
    m = email.message_from_binary_file(open(f, 'rb'), policy=policy.default)
    res.append({'message_id': str(m['message-id']), 'to': str(m['to']), 'subject': str(m['subject']),
                'from': str(m['from']), 'body': m.get_content()})
print(json.dumps(res))",
        )
        .arg(maildir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}
