//! engawa: wiring only. config → store → runtime → input → UI loop, plus the
//! developer commands (`keymap check`, `screenshot`, `bench ui`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use engawa::app::{App, Effect, Event};
use engawa::config::Config;
use engawa::input::evdev_reader::{self, EvdevFinder};
use engawa::input::keymap::{Keymap, KeymapWatcher};
use engawa::runtime::{self, RuntimeConfig};
use engawa::store::Store;
use engawa::view::headless::Headless;
use engawa::view::{BoxInfo, Lang, Presenter, bridge};
use engawa::{demo, fonts};
use engawa_core::{Clock, ErrorKind, SystemClock};
use slint::ComponentHandle;

const USAGE: &str = "\
engawa — the set-top box runtime

usage:
  engawa [--config FILE]          run the box (demo mode without a config file)
  engawa diag [--config FILE]     what a technician needs: version, pairing, head-end
                                  reachable or why not, remotes, keymap, last key
                                  press, outbox, disk, display (always exits 0)
  engawa keymap check FILE...     validate ir-keytable keymap files
  engawa keymap path [--config FILE]
                                  the keymap the receivers get ([input] keymap or
                                  the package's); used by the udev rule
  engawa screenshot --page NAME --out FILE.png [--size 1920x1080] [--lang ja|en]
  engawa screenshot --frame FRAME.json --out FILE.png
                                  draw again what a running box wrote to its
                                  [box] frame_file (at the size it was shown)
  engawa screenshot --list        list the pages that can be drawn
  engawa bench ui [--keys N]      key→frame latency, first frame, peak memory

The window takes the PC keyboard as the remote: arrows, Enter = 決定,
Backspace/Esc = 戻る, 0–9, F1–F4 = 青 赤 緑 黄, Home.
Logging: RUST_LOG=engawa=debug";

fn main() -> ExitCode {
    let started = Instant::now();
    init_logging();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["--help" | "-h" | "help"] => {
            println!("{USAGE}");
            Ok(())
        }
        ["--version" | "-V"] => {
            println!("engawa {}", env!("CARGO_PKG_VERSION"));
            Ok(())
        }
        ["keymap", "check", files @ ..] => return keymap_check(files),
        ["keymap", "path"] => keymap_path(None),
        ["keymap", "path", "--config", file] => keymap_path(Some(Path::new(file))),
        ["diag"] => {
            print!("{}", engawa::diag::report(None));
            return ExitCode::SUCCESS;
        }
        ["diag", "--config", file] => {
            print!("{}", engawa::diag::report(Some(Path::new(file))));
            return ExitCode::SUCCESS;
        }
        ["screenshot", rest @ ..] => screenshot(rest),
        ["bench", "ui", rest @ ..] => bench_ui(rest, started),
        [] => run(None),
        ["--config", file] => run(Some(Path::new(file))),
        _ => {
            eprintln!("engawa: unknown arguments {args:?}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if std::env::var_os("JOURNAL_STREAM").is_some() {
                // One journal entry at priority "err", however many lines the
                // cause has (the display backend lists every device it tried).
                eprintln!("<3>engawa: {}", format!("{e:#}").replace('\n', " | "));
            } else {
                eprintln!("engawa: {e:#}");
            }
            ExitCode::FAILURE
        }
    }
}

/// Logs to stderr. Under systemd (stderr is the journal) each line starts with
/// its syslog priority (`<3>` error … `<7>` debug, which journald reads as the
/// entry's PRIORITY) and carries its fields as `key=value`, without a second
/// timestamp: `journalctl -u engawa -p warning` shows what went wrong and why.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    if std::env::var_os("JOURNAL_STREAM").is_some() {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .with_ansi(false)
            .event_format(Journal(
                tracing_subscriber::fmt::format()
                    .without_time()
                    .with_ansi(false)
                    .with_target(false),
            ))
            .init();
    } else {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .init();
    }
}

/// A log line for journald: the syslog priority first, then the usual format.
struct Journal<F>(F);

impl<S, N, F> tracing_subscriber::fmt::FormatEvent<S, N> for Journal<F>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    N: for<'a> tracing_subscriber::fmt::FormatFields<'a> + 'static,
    F: tracing_subscriber::fmt::FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &tracing_subscriber::fmt::FmtContext<'_, S, N>,
        mut writer: tracing_subscriber::fmt::format::Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> std::fmt::Result {
        let priority = match *event.metadata().level() {
            tracing::Level::ERROR => 3,
            tracing::Level::WARN => 4,
            tracing::Level::INFO => 6,
            _ => 7,
        };
        write!(writer, "<{priority}>")?;
        self.0.format_event(ctx, writer, event)
    }
}

fn keymap_check(files: &[&str]) -> ExitCode {
    if files.is_empty() {
        eprintln!(
            "engawa keymap check: give one or more keymap files (e.g. /lib/udev/rc_keymaps/*.toml)"
        );
        return ExitCode::from(2);
    }
    let mut failed = 0;
    for f in files {
        match Keymap::load(Path::new(f)) {
            Ok(km) => {
                print!("{}", km.report());
                let missing = km.missing_essentials();
                if !missing.is_empty() {
                    println!(
                        "  note: no key for {} — a resident cannot use this remote alone",
                        missing.join(", ")
                    );
                }
            }
            Err(e) => {
                eprintln!("engawa keymap check: {e}");
                failed += 1;
            }
        }
    }
    if failed > 0 {
        eprintln!(
            "engawa keymap check: {failed} of {} files are malformed",
            files.len()
        );
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn keymap_path(config: Option<&Path>) -> Result<()> {
    let config = Config::load(config)?;
    println!("{}", engawa::diag::keymap_path(&config).display());
    Ok(())
}

fn box_info(config: &Config, connected: bool) -> BoxInfo {
    BoxInfo {
        serial: config.box_.serial.clone(),
        operator_name: config.operator.name.clone(),
        operator_phone: config.operator.phone.clone(),
        version: env!("CARGO_PKG_VERSION").into(),
        connected,
    }
}

fn lang_of(s: &str) -> Result<Lang> {
    match s {
        "ja" => Ok(Lang::Ja),
        "en" => Ok(Lang::En),
        other => bail!("language {other:?} is not ja or en"),
    }
}

fn run(config_path: Option<&Path>) -> Result<()> {
    #[cfg_attr(not(feature = "demo-headend"), allow(unused_mut))]
    let mut config = Config::load(config_path)?;
    if config.demo {
        tracing::info!(state_dir = %config.box_.state_dir.display(), "no configuration file: demo mode");
        #[cfg(feature = "demo-headend")]
        if config.headend.url.is_empty() {
            std::fs::create_dir_all(&config.box_.state_dir)?;
            config.headend.url = demo_headend(&config.box_.state_dir, &config.box_.serial)?;
        }
    }
    let keymap = config
        .input
        .keymap
        .as_deref()
        .map(|path| {
            // What packaging/load-keymap keeps, then the package's own.
            let last_good = config.box_.state_dir.join("keymap-last-good.toml");
            KeymapWatcher::start(path, &[&last_good, Path::new(engawa::diag::DEFAULT_KEYMAP)])
        })
        .transpose()?;
    fonts::ensure_system_font()?;
    std::fs::create_dir_all(&config.box_.state_dir).with_context(|| {
        format!(
            "cannot create the state directory {}",
            config.box_.state_dir.display()
        )
    })?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    // A damaged or locked database must not leave the TV black: the resident sees
    // a plain message with the operator's number, the log and the exit status say
    // exactly what is wrong, and the file is left for the operator.
    let db_path = config.db_path();
    let store = Store::check_writable(&db_path)
        .and_then(|()| Store::open(&db_path))
        .and_then(|mut s| {
            if config.demo {
                demo::seed(&mut s, clock.now())?;
            }
            Ok(s)
        });
    let window = engawa_ui::AppWindow::new().map_err(|e| {
        let why = anyhow::anyhow!(
            "cannot open the screen: {e}. On a box, check the display (DRM/KMS) device; \
             on a PC without a display use `engawa screenshot`, or run the window under Xvfb"
        );
        match &store {
            Err(store_err) => anyhow::anyhow!("{store_err}"),
            Ok(_) => why,
        }
    })?;
    let lang = lang_of(&config.box_.language)?;
    let (effects, store_error): (Box<dyn FnMut(Effect)>, _) = match store {
        Ok(store) => {
            let (runtime, _join) = runtime::spawn(
                store,
                clock.clone(),
                RuntimeConfig {
                    chime_command: config.chime.command.clone(),
                    state_dir: config.box_.state_dir.clone(),
                    tick: runtime::TICK,
                    headend: (!config.headend.url.is_empty()).then(|| runtime::HeadendSettings {
                        url: config.headend.url.clone(),
                        serial: config.box_.serial.clone(),
                        heartbeat: runtime::HEARTBEAT,
                    }),
                    mail: mail_settings(&config),
                    watch_mail: watch_mail(&config),
                },
                Arc::new(post),
            )
            .context("cannot start the runtime thread")?;
            (Box::new(move |e| runtime.send(e)), None)
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot use the database; showing the error on screen");
            let refuse = |e: Effect| {
                if !matches!(e, Effect::Activity | Effect::PlayChime) {
                    post(Event::Failed(ErrorKind::Storage));
                }
            };
            (Box::new(refuse), Some(e))
        }
    };
    let mut presenter = Presenter::new(
        App::new(clock.now()),
        box_info(&config, false),
        lang,
        window.clone_strong(),
        effects,
    );
    if let Some(f) = &config.box_.frame_file {
        let dump = engawa::view::dump::FrameDump::start(f.clone())
            .context("cannot start the frame file writer")?;
        presenter = presenter.with_dump(dump);
    }
    PRESENTER.with(|p| *p.borrow_mut() = Some(presenter));
    if store_error.is_some() {
        dispatch(Event::Failed(ErrorKind::Storage));
    }
    window.global::<engawa_ui::Api>().on_key(|text, repeat| {
        if let Some(k) = bridge::key_from_slint(&text, repeat) {
            dispatch(Event::Key(k));
        }
    });

    // The remote: evdev devices, read on their own threads.
    let finder = EvdevFinder::new(config.input.devices.clone(), config.input.grab, keymap);
    std::thread::Builder::new()
        .name("evdev supervisor".into())
        .spawn(move || {
            evdev_reader::supervise(
                Box::new(finder),
                Arc::new(|k| post(Event::Key(k))),
                evdev_reader::RESCAN,
            )
        })
        .context("cannot start the input thread")?;

    window.run().context("the window closed with an error")?;
    PRESENTER.with(|p| p.borrow_mut().take());
    match store_error {
        Some(e) => Err(e.into()),
        None => Ok(()),
    }
}

/// The demo's own head-end, on 127.0.0.1 in this process: demo sellers, ~300
/// items, a household registered for shopping, and this box already provisioned
/// for it (its token in the state directory). Returns the head-end's URL.
#[cfg(feature = "demo-headend")]
fn demo_headend(state_dir: &Path, serial: &str) -> Result<String> {
    let (tx, rx) = std::sync::mpsc::channel::<Result<String>>();
    let (dir, serial) = (state_dir.to_path_buf(), serial.to_string());
    std::thread::Builder::new()
        .name("demo head-end".into())
        .spawn(move || {
            let serve = async {
                let db = engawa_headend::Db::open(&dir.join("demo-headend.db")).await?;
                let now = SystemClock.now();
                let household = engawa_headend::demo::seed(&db, now).await?;
                engawa_headend::demo::operator(&db, now).await?;
                let stored = runtime::headend::load_token(&dir)?;
                let valid = match &stored {
                    Some(t) => db.box_by_token(t).await?.is_some(),
                    None => false,
                };
                if !valid {
                    let token = db.issue_token(household, &serial, now).await?;
                    runtime::headend::save_token(&dir, &token)?;
                }
                let port = engawa_headend::demo::PORT;
                let listener = match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
                    Ok(l) => l,
                    Err(e) => {
                        tracing::warn!(error = %e, port, "the demo's port is taken; using another");
                        tokio::net::TcpListener::bind("127.0.0.1:0").await?
                    }
                };
                let url = format!("http://{}", listener.local_addr()?);
                tracing::info!(%url, "demo head-end listening");
                // Printed, not only logged: the newcomer's way into the console.
                eprintln!(
                    "engawa demo: the operator's console is at {url}/console (login {} / {}) — \
                     watch the TV's orders in ピッキング and its taxi rides in the manifest",
                    engawa_headend::demo::OPERATOR,
                    engawa_headend::demo::PASSWORD
                );
                let state =
                    engawa_headend::AppState::new(db, Arc::new(SystemClock)).with_public_url(&url);
                anyhow::Ok((listener, state, url))
            };
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = tx.send(Err(e.into()));
                    return;
                }
            };
            rt.block_on(async move {
                match serve.await {
                    Ok((listener, state, url)) => {
                        let _ = tx.send(Ok(url));
                        if let Err(e) =
                            engawa_headend::serve(listener, state, std::future::pending()).await
                        {
                            tracing::error!(error = %e, "the demo head-end stopped");
                        }
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e));
                    }
                }
            });
        })
        .context("cannot start the demo head-end")?;
    rx.recv()
        .context("the demo head-end did not start")?
        .context("cannot start the demo head-end")
}

/// The SMTP server for family mail, if configured.
fn mail_settings(config: &Config) -> Option<engawa_mail::MailSettings> {
    use engawa_mail::Security;
    let m = &config.mail;
    (!m.host.is_empty()).then(|| engawa_mail::MailSettings {
        host: m.host.clone(),
        port: m.port,
        security: match m.security.as_str() {
            "tls" => Security::Tls,
            "none" => Security::None,
            _ => Security::StartTls,
        },
        credentials_file: m.credentials_file.clone(),
        from: m.from.clone(),
        reply_to: m.reply_to.clone(),
    })
}

/// Who the mails name as sender, and the contacts of the configuration file
/// (used until the head-end sends its own).
fn watch_mail(config: &Config) -> Option<runtime::WatchMail> {
    let domain =
        engawa_mail::domain_of(&config.mail.from).unwrap_or_else(|| "engawa.invalid".into());
    Some(runtime::WatchMail {
        contacts: config
            .watch
            .contacts
            .iter()
            .map(|c| (c.name.clone(), c.email.clone()))
            .collect(),
        operator: config.operator.name.clone(),
        operator_phone: config.operator.phone.clone(),
        serial: config.box_.serial.clone(),
        domain,
    })
}

thread_local! {
    static PRESENTER: std::cell::RefCell<Option<Presenter>> = const { std::cell::RefCell::new(None) };
}

fn dispatch(ev: Event) {
    PRESENTER.with(|p| {
        if let Some(p) = p.borrow_mut().as_mut() {
            p.dispatch(ev);
        }
    });
}

/// From any thread: deliver an event to the UI thread, in order.
fn post(ev: Event) {
    if let Err(e) = slint::invoke_from_event_loop(move || dispatch(ev)) {
        tracing::warn!(error = %e, "the UI has stopped; dropping an event");
    }
}

struct ScreenshotArgs {
    page: Option<String>,
    frame: Option<PathBuf>,
    out: Option<PathBuf>,
    size: (u32, u32),
    lang: Lang,
    list: bool,
}

fn parse_screenshot_args(args: &[&str]) -> Result<ScreenshotArgs> {
    let mut a = ScreenshotArgs {
        page: None,
        frame: None,
        out: None,
        size: (1920, 1080),
        lang: Lang::Ja,
        list: false,
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || {
            it.next()
                .copied()
                .with_context(|| format!("{arg} needs a value"))
        };
        match *arg {
            "--page" => a.page = Some(value()?.to_string()),
            "--frame" => a.frame = Some(PathBuf::from(value()?)),
            "--out" => a.out = Some(PathBuf::from(value()?)),
            "--lang" => a.lang = lang_of(value()?)?,
            "--size" => {
                let v = value()?;
                let (w, h) = v
                    .split_once('x')
                    .with_context(|| format!("--size {v}: expected WIDTHxHEIGHT"))?;
                a.size = (
                    w.parse()
                        .with_context(|| format!("--size {v}: bad width"))?,
                    h.parse()
                        .with_context(|| format!("--size {v}: bad height"))?,
                );
                if !(320..=7680).contains(&a.size.0) || !(240..=4320).contains(&a.size.1) {
                    bail!("--size {v}: out of range");
                }
            }
            "--list" => a.list = true,
            other => bail!("screenshot: unknown argument {other:?}\n\n{USAGE}"),
        }
    }
    Ok(a)
}

fn screenshot(args: &[&str]) -> Result<()> {
    let a = parse_screenshot_args(args)?;
    if a.list {
        for (name, what) in demo::SCENES {
            println!("{name:<20} {what}");
        }
        return Ok(());
    }
    let out = a.out.context("screenshot: --out FILE.png is required")?;
    if let Some(file) = &a.frame {
        let d = engawa::view::dump::read(file)?;
        fonts::ensure_system_font()?;
        let mut headless = Headless::install(d.width.max(320), d.height.max(240))?;
        let window = engawa_ui::AppWindow::new()?;
        window.show()?;
        bridge::apply(&window, &d.frame);
        headless.render();
        headless.write_png(&out)?;
        tracing::info!(seq = d.seq, out = %out.display(), "frame drawn again");
        return Ok(());
    }
    let page = a
        .page
        .context("screenshot: --page NAME or --frame FILE is required (see --list)")?;
    let app = demo::scene(&page)
        .with_context(|| format!("no page called {page:?}; see `engawa screenshot --list`"))?;
    fonts::ensure_system_font()?;
    let mut headless = Headless::install(a.size.0, a.size.1)?;
    let window = engawa_ui::AppWindow::new()?;
    window.show()?;
    let config = Config::default();
    let p = Presenter::new(
        app,
        box_info(&config, false),
        a.lang,
        window,
        Box::new(|_| {}),
    );
    headless.render();
    headless.write_png(&out)?;
    drop(p);
    tracing::info!(page, out = %out.display(), "screenshot written");
    Ok(())
}

fn bench_ui(args: &[&str], started: Instant) -> Result<()> {
    let keys: usize = match args {
        [] => 1000,
        ["--keys", n] => n.parse().context("--keys: expected a number")?,
        _ => bail!("bench ui: unknown arguments {args:?}"),
    };
    fonts::ensure_system_font()?;
    let mut headless = Headless::install(1920, 1080)?;
    let window = engawa_ui::AppWindow::new()?;
    window.show()?;
    let app = demo::scene("home").context("home scene")?;
    let mut p = Presenter::new(
        app,
        box_info(&Config::default(), false),
        Lang::Ja,
        window,
        Box::new(|_| {}),
    );
    headless.render();
    let first_frame = started.elapsed();

    use engawa::input::Key;
    // Half the presses on home (tiles), half on the reminder list (rows, pages).
    let (up, down, left, right) = (Key::Up, Key::Down, Key::Left, Key::Right);
    let home = [right, right, left, left, down, up];
    let list = [down, down, down, down, down, down, up, up, up, up, up, up];
    let mut lat = Vec::with_capacity(keys);
    let mut measure = |p: &mut Presenter, k, lat: &mut Vec<f64>| {
        let t = Instant::now();
        p.dispatch(Event::Key(k));
        headless.render();
        lat.push(t.elapsed().as_secs_f64() * 1000.0);
    };
    for i in 0..keys / 2 {
        measure(&mut p, home[i % home.len()], &mut lat);
    }
    p.dispatch(Event::Key(Key::Digit(3)));
    for i in 0..keys - keys / 2 {
        measure(&mut p, list[i % list.len()], &mut lat);
    }
    lat.sort_by(f64::total_cmp);
    let pct = |q: f64| lat[((lat.len() as f64 * q) as usize).min(lat.len() - 1)];
    println!(
        "engawa bench ui — 1920x1080 software renderer, {keys} key presses (home + reminder list)"
    );
    println!(
        "key→frame  p50 {:.2} ms   p99 {:.2} ms   max {:.2} ms",
        pct(0.5),
        pct(0.99),
        lat[lat.len() - 1]
    );
    println!(
        "first frame after process start  {:.1} ms",
        first_frame.as_secs_f64() * 1000.0
    );
    println!(
        "peak RSS  {:.1} MB",
        peak_rss_kb().unwrap_or(0) as f64 / 1024.0
    );
    Ok(())
}

fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}
