//! The test driver: a scratch folder of cases ([`Dir`]), the real binary
//! run on it ([`Cmd`]) with its outcome checked like a user would
//! ([`Outcome`]: exit code, stderr with the temporary path replaced by
//! `[DIR]`), and PDFs read back as text.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub(crate) const RUN_DATE: &str = "2026-11-22";

pub(crate) fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub(crate) fn fixtures() -> PathBuf {
    root().join("fixtures/cases")
}

pub(crate) fn relance() -> Command {
    Command::new(env!("CARGO_BIN_EXE_relance"))
}

/// `relance build CASES --date 2026-11-22 --out OUT [extra…]`; on the
/// bundled fixtures themselves (shared by tests running at once), with
/// `--no-record`: no journal is written into the repository.
pub(crate) fn build(cases: &Path, out: &Path, extra: &[&str]) -> Output {
    relance()
        .arg("build")
        .arg(cases)
        .args(["--date", RUN_DATE, "--out"])
        .arg(out)
        .args(extra)
        .args(if cases.starts_with(fixtures()) { &["--no-record"][..] } else { &[][..] })
        .output()
        .expect("run relance")
}

pub(crate) fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub(crate) fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The text of a PDF as pdftotext (poppler-utils) extracts it in reading
/// layout (a table row stays on one line), with every run of white space
/// (spaces, no-break spaces, line ends) folded into one space, so that
/// assertions do not depend on where lines break. Apostrophes are kept as
/// printed: templates print typographic ’, data prints its own '.
pub(crate) fn pdf_text(pdf: &Path) -> String {
    let out = Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext not found: install poppler-utils (see README)");
    assert!(out.status.success(), "pdftotext failed on {}: {}", pdf.display(), stderr(&out));
    fold(&String::from_utf8(out.stdout).expect("UTF-8 from pdftotext"))
}

pub(crate) fn fold(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || c == '\u{202F}' || c == '\u{A0}')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Asserts that every needle (whitespace-folded) is in the haystack.
#[track_caller]
pub(crate) fn assert_has(text: &str, needles: &[&str]) {
    for n in needles {
        let n = fold(n);
        assert!(text.contains(&n), "missing {n:?} in:\n{text}");
    }
}

/// Copies the fixture cases (and their invoice copies) into `dir`.
/// Copies the fixture cases (and their invoice copies) into `dir`: never
/// the journal a run of the README's command may have left in
/// `fixtures/cases/journal/`.
pub(crate) fn copy_fixtures(dir: &Path) {
    copy_tree(&fixtures(), dir);
    let _ = std::fs::remove_dir_all(dir.join("journal"));
}

/// Copies a folder recursively.
pub(crate) fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

pub(crate) fn page_count(pdf: &Path) -> usize {
    let out = Command::new("pdfinfo").arg(pdf).output().expect("pdfinfo (poppler-utils)");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.lines().find_map(|l| l.strip_prefix("Pages:").map(|n| n.trim().parse().unwrap())).expect("Pages: line")
}

/// The debtor block shared by the hand-written test cases
/// (`tests/data/debtor.yaml`), with its `type:` set to `kind`.
pub(crate) fn debtor(kind: &str) -> String {
    let text = std::fs::read_to_string(root().join("tests/data/debtor.yaml")).expect("tests/data/debtor.yaml");
    text.replace("type: professionnel", &format!("type: {kind}"))
}

/// A scratch folder, removed when dropped.
pub(crate) struct Dir {
    temp: tempfile::TempDir,
}

impl Dir {
    /// An empty folder.
    pub(crate) fn new() -> Dir {
        Dir { temp: tempfile::tempdir().expect("a temporary folder") }
    }

    /// A copy of the bundled fixture cases (config, cases, invoice copies).
    pub(crate) fn with_fixtures() -> Dir {
        let dir = Dir::new();
        copy_fixtures(dir.path());
        dir
    }

    /// The folder.
    pub(crate) fn path(&self) -> &Path {
        self.temp.path()
    }

    /// `rel` inside the folder.
    pub(crate) fn join(&self, rel: &str) -> PathBuf {
        self.path().join(rel)
    }

    /// Writes a file (and its folders).
    pub(crate) fn write(&self, rel: &str, text: impl AsRef<[u8]>) -> &Dir {
        let path = self.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
        self
    }

    /// Rewrites a file through `edit`, which must change it.
    #[track_caller]
    pub(crate) fn edit(&self, rel: &str, edit: impl FnOnce(&str) -> String) -> &Dir {
        let before = std::fs::read_to_string(self.join(rel)).unwrap();
        let after = edit(&before);
        assert_ne!(before, after, "the edit of {rel} changed nothing");
        self.write(rel, after)
    }

    /// `relance ARGS…`, run in this folder; `[DIR]` in the output stands
    /// for its path.
    pub(crate) fn relance<I: IntoIterator<Item = S>, S: AsRef<std::ffi::OsStr>>(&self, args: I) -> Cmd {
        let mut command = relance();
        command.current_dir(self.path()).args(args);
        Cmd { command, dir: self.path().to_path_buf() }
    }

    /// The letters a run wrote in `out/letters/`, by name, sorted.
    pub(crate) fn letters(&self, out: &str) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.join(out).join("letters"))
            .map(|d| d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect())
            .unwrap_or_default();
        names.sort();
        names
    }

    /// Writes `filled.csv`: the deposit list `out/depot-lrar.csv` with the
    /// row of `entry` (`<case>/<level>`) filled in with `cells` (number,
    /// first presentation, delivery, return), as the clerk does.
    pub(crate) fn fill_deposit_list(&self, out: &str, entry: &str, cells: &str) {
        let csv = std::fs::read_to_string(self.join(out).join("depot-lrar.csv")).unwrap();
        assert!(csv.contains(entry), "{entry} not in the deposit list:\n{csv}");
        let filled: Vec<String> =
            csv.lines()
                .map(|l| {
                    if l.contains(entry) { l.trim_end_matches(",,,,").to_string() + "," + cells } else { l.to_string() }
                })
                .collect();
        self.write("filled.csv", filled.join("\n") + "\n");
    }

    /// The text of a PDF of the folder.
    pub(crate) fn pdf_text(&self, rel: &str) -> String {
        pdf_text(&self.join(rel))
    }
}

/// A command about to run.
pub(crate) struct Cmd {
    command: Command,
    dir: PathBuf,
}

impl Cmd {
    /// One more argument.
    pub(crate) fn arg(mut self, arg: impl AsRef<std::ffi::OsStr>) -> Cmd {
        self.command.arg(arg);
        self
    }

    /// Runs it.
    pub(crate) fn run(mut self) -> Outcome {
        let output = self.command.output().expect("run relance");
        Outcome { output, dir: self.dir }
    }

    /// Runs it and checks its exit code.
    #[track_caller]
    pub(crate) fn expect_code(self, code: i32) -> Outcome {
        let outcome = self.run();
        assert_eq!(
            outcome.output.status.code(),
            Some(code),
            "exit code; stderr:\n{}\nstdout:\n{}",
            outcome.stderr(),
            outcome.stdout()
        );
        outcome
    }
}

/// What a command did.
pub(crate) struct Outcome {
    /// Its raw output.
    pub(crate) output: Output,
    dir: PathBuf,
}

impl Outcome {
    /// Standard error, with the scratch folder's path as `[DIR]`.
    pub(crate) fn stderr(&self) -> String {
        self.normalise(&self.output.stderr)
    }

    /// Standard output, with the scratch folder's path as `[DIR]`.
    pub(crate) fn stdout(&self) -> String {
        self.normalise(&self.output.stdout)
    }

    fn normalise(&self, bytes: &[u8]) -> String {
        String::from_utf8_lossy(bytes).replace(&self.dir.display().to_string(), "[DIR]")
    }
}

/// Opens `url` in a real headless browser (Chromium, Debian package
/// `chromium`, installed by `.ci/test.sh`) and returns the DOM once the
/// page's scripts ran; with `screenshot`, also saves a PNG of the page.
pub(crate) fn browser(url: &str, screenshot: Option<(&Path, &str)>) -> String {
    let profile = tempfile::tempdir().unwrap();
    let mut cmd = Command::new("chromium");
    cmd.args(["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions"])
        .arg(format!("--user-data-dir={}", profile.path().display()));
    match screenshot {
        Some((png, size)) => {
            cmd.arg(format!("--screenshot={}", png.display())).arg(format!("--window-size={size}"));
        }
        None => {
            cmd.arg("--dump-dom");
        }
    }
    let out = cmd.arg(url).output().expect("chromium (Debian package chromium; see README)");
    assert!(out.status.success(), "chromium failed on {url}: {}", stderr(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The `file://` URL of a path.
pub(crate) fn file_url(path: &Path) -> String {
    format!("file://{}", std::path::absolute(path).unwrap().display())
}

/// Files a run may leave behind only while it is writing them.
pub(crate) fn temporaries(dir: &Path) -> Vec<PathBuf> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with(".relance-"))
        .map(|e| e.path().to_path_buf())
        .collect()
}
