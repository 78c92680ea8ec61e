//! `relance render CASE --level L --format pdf|png|typ`: one letter for a
//! template author — the PDF, a PNG of each page (Typst's own rasteriser),
//! or the Typst markup the template generated; `--watch` renders again when
//! the case, the config or a template changes.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use chrono::NaiveDate;
use clap::ValueEnum;
use relance::case::Level;
use relance::{Session, Settings};

use super::{fail, level_values, parse_date, today};

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Output {
    /// The letter as `build` makes it (PDF/A-3b).
    Pdf,
    /// One PNG per page.
    Png,
    /// The Typst markup generated from the template.
    Typ,
}

#[derive(clap::Args)]
pub(crate) struct Args {
    /// The case file.
    case: PathBuf,
    /// The level of the letter (amicale, formelle, avertissement,
    /// mise-en-demeure, courtoisie, echeancier); defaults to the level due.
    #[arg(long, value_parser = level_values())]
    level: Option<Level>,
    /// What to write.
    #[arg(long, value_enum, default_value = "pdf")]
    format: Output,
    /// Where to write it; defaults to `<id>-<level>.<format>` here. A PNG of
    /// several pages is written as `<stem>-1.png`, `<stem>-2.png`…
    #[arg(long)]
    out: Option<PathBuf>,
    /// Letter date (YYYY-MM-DD); defaults to today.
    #[arg(long, value_parser = parse_date)]
    date: Option<NaiveDate>,
    #[command(flatten)]
    sources: super::Sources,
    /// Resolution of the PNG, in dots per inch.
    #[arg(long, default_value_t = 144, value_parser = clap::value_parser!(u16).range(36..=600))]
    dpi: u16,
    /// Mark the letter "PROJET".
    #[arg(long)]
    draft: bool,
    /// Render again whenever the case, the config or a template changes
    /// (Ctrl-C to stop).
    #[arg(long)]
    watch: bool,
}

pub(crate) fn run(args: Args) -> ExitCode {
    let config = args.sources.config_for(&args.case);
    if !args.watch {
        return match render_once(&args, &config) {
            Ok(written) => {
                for w in written {
                    eprintln!("écrit : {}", w.display());
                }
                ExitCode::SUCCESS
            }
            Err(code) => code,
        };
    }
    watch(&args, &config)
}

/// The files a change of which renders the letter again.
fn watched(args: &Args, config: &Path) -> Vec<PathBuf> {
    let mut paths = vec![args.case.clone(), config.to_path_buf()];
    paths.extend(args.sources.templates.clone());
    paths.extend(args.sources.rates.clone());
    paths
}

fn watch(args: &Args, config: &Path) -> ExitCode {
    use notify::Watcher;
    let (tx, rx) = std::sync::mpsc::channel();
    let mut watcher = match notify::recommended_watcher(tx) {
        Ok(w) => w,
        Err(e) => return fail(&format!("surveillance des fichiers impossible : {e}")),
    };
    for path in watched(args, config) {
        let mode = if path.is_dir() { notify::RecursiveMode::Recursive } else { notify::RecursiveMode::NonRecursive };
        // A file replaced by an editor (write, then rename) is seen through
        // its folder.
        let target = if path.is_file() { path.parent().map(Path::to_path_buf).unwrap_or(path.clone()) } else { path };
        let target = if target.as_os_str().is_empty() { PathBuf::from(".") } else { target };
        if let Err(e) = watcher.watch(&target, mode) {
            return fail(&format!("surveillance impossible de {} : {e}", target.display()));
        }
    }
    let own: Vec<PathBuf> = Vec::new();
    let mut written = own;
    loop {
        match render_once(args, config) {
            Ok(files) => {
                for w in &files {
                    eprintln!("écrit : {}", w.display());
                }
                written = files;
            }
            Err(_) => eprintln!("(erreur ci-dessus ; en attente d'une modification)"),
        }
        // Wait for a change that is not one of our own outputs, then let a
        // burst of events (an editor saving) settle.
        loop {
            let Ok(event) = rx.recv() else { return ExitCode::SUCCESS };
            let Ok(event) = event else { continue };
            let ours = event.paths.iter().all(|p| {
                written.iter().any(|w| p.file_name() == w.file_name())
                    || p.file_name().is_some_and(|n| n.to_string_lossy().starts_with(".relance-"))
            });
            if !ours && !matches!(event.kind, notify::EventKind::Access(_)) {
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(150));
        while rx.try_recv().is_ok() {}
    }
}

fn render_once(args: &Args, config: &Path) -> Result<Vec<PathBuf>, ExitCode> {
    let session = Session::open(config, args.sources.templates.as_deref(), args.sources.rates.as_deref())
        .map_err(|e| fail(&e))?;
    let mut settings = Settings::new(args.date.unwrap_or_else(today));
    settings.forced = args.level;
    let loaded = relance::case::load_case(&args.case)
        .map(|case| relance::case::LoadedCase { path: args.case.clone(), case })
        .map_err(|e| fail(&e))?;
    let planned = relance::plan_case(&session, loaded, &settings);
    let letter = match (&planned.outcome, planned.letter()) {
        (Err(e), _) => return Err(fail(e)),
        (Ok(_), Some(letter)) => letter,
        (Ok((_, relance::escalation::Decision::Skip { reason, .. })), None) => {
            return Err(fail(&format!(
                "{} : pas de lettre à produire ({reason}) ; --level force un niveau pour un dossier qui doit quelque chose",
                args.case.display()
            )));
        }
        (Ok(_), None) => return Err(fail(&format!("{} : pas de lettre à produire", args.case.display()))),
    };
    let level = letter.due.level;
    let ext = match args.format {
        Output::Pdf => "pdf",
        Output::Png => "png",
        Output::Typ => "typ",
    };
    let out = args.out.clone().unwrap_or_else(|| PathBuf::from(format!("{}-{level}.{ext}", letter.case.id)));
    let write = |path: &Path, bytes: &[u8]| {
        relance::atomic::write_atomic(path, bytes)
            .map_err(|e| fail(&format!("écriture impossible de {} : {e}", path.display())))
    };
    let job = relance::letter::markup(&session, &letter, args.draft).map_err(|e| fail(&e))?;
    match args.format {
        Output::Typ => {
            write(&out, relance::typeset::letter_source(&job.markup).as_bytes())?;
            Ok(vec![out])
        }
        Output::Pdf => {
            let mut world = session.world();
            let built = (world.compile_letters(std::slice::from_ref(&job)).pop())
                .expect("one result per letter")
                .map_err(|e| relance::letter::locate(&session, letter.case, level, e))
                .map_err(|e| fail(&e))?;
            write(&out, &built.0)?;
            Ok(vec![out])
        }
        Output::Png => {
            let mut world = session.world();
            let pages = world
                .compile_png(relance::typeset::letter_source(&job.markup), job.export, f32::from(args.dpi))
                .map_err(|e| relance::letter::locate(&session, letter.case, level, e))
                .map_err(|e| fail(&e))?;
            let mut written = Vec::new();
            for (i, png) in pages.iter().enumerate() {
                let path = if pages.len() == 1 {
                    out.clone()
                } else {
                    let stem = out.file_stem().map_or_else(String::new, |s| s.to_string_lossy().into_owned());
                    out.with_file_name(format!("{stem}-{}.png", i + 1))
                };
                write(&path, png)?;
                written.push(path);
            }
            Ok(written)
        }
    }
}
