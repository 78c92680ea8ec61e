//! The last guard of a run: a template that keeps Typst busy past its time
//! budget, or a run whose memory passes its limit, stops the run with a
//! clear error naming the template and the case (exit code 3). Typst cannot
//! be interrupted in the middle of a letter, so the process ends; the
//! letters already written are whole files, and the run can be made again
//! once the template is fixed.

use std::sync::Arc;
use std::time::Duration;

use relance::settings::Activity;

/// Exit code of a run stopped by the watchdog.
pub(crate) const EXIT_BUDGET: i32 = 3;

/// The budgets.
#[derive(Clone, Copy)]
pub(crate) struct Budget {
    /// Most time one letter may take.
    pub(crate) letter: Duration,
    /// Most resident memory the process may use, in bytes.
    pub(crate) memory: u64,
}

/// Starts the watchdog thread over `activity`.
pub(crate) fn start(activity: Arc<Activity>, budget: Budget) {
    let spawned = std::thread::Builder::new().name("relance-watchdog".into()).spawn(move || {
        loop {
            std::thread::sleep(Duration::from_millis(200));
            let busy = activity.now();
            if let Some(b) = busy.first()
                && b.since.elapsed() > budget.letter
            {
                let secs = budget.letter.as_secs();
                let names = b.letters.iter().map(|(case, t)| format!("{}: {t}", case.display())).collect::<Vec<_>>();
                stop(&if names.len() == 1 {
                    format!(
                        "{}: la lettre n'est pas mise en page après {secs} s (budget d'une lettre) ; le modèle boucle-t-il ? La production est arrêtée ; les lettres déjà écrites sont complètes",
                        names[0]
                    )
                } else {
                    format!(
                        "{} : ces {} lettres, mises en page ensemble, ne le sont pas après {secs} s (budget d'une lettre) ; un des modèles boucle-t-il ? La production est arrêtée ; les lettres déjà écrites sont complètes ; `--batch 1` dit laquelle",
                        names.join(", "),
                        names.len()
                    )
                });
            }
            if let Some(rss) = resident_bytes()
                && rss > budget.memory
            {
                let during: Vec<String> =
                    busy.iter().flat_map(|b| &b.letters).map(|(case, t)| format!("{t} ({})", case.display())).collect();
                stop(&format!(
                    "la mémoire de la production dépasse {} Mio ({} Mio) pendant la mise en page de {} ; la production est arrêtée ; les lettres déjà écrites sont complètes",
                    budget.memory / (1024 * 1024),
                    rss / (1024 * 1024),
                    if during.is_empty() { "lettres".to_string() } else { during.join(", ") }
                ));
            }
        }
    });
    if let Err(e) = spawned {
        eprintln!("error: cannot start the watchdog: {e}");
    }
}

fn stop(message: &str) -> ! {
    eprint!("{}", relance::diagnostic::report(message, None));
    std::process::exit(EXIT_BUDGET)
}

/// The process's resident memory, from /proc (Linux).
fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}
