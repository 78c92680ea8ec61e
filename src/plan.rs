//! What each case owes and which letter it is due for, without writing
//! anything: the first half of `build`, and all of `plan` and `explain`.

use std::path::{Path, PathBuf};

use crate::Session;
use crate::case::{self, InputError, LoadedCase};
use crate::escalation::{self, Decision};
use crate::journal::Journal;
use crate::law::{self, Statement};
use crate::letter::{self, Letter};
use crate::pack::{ManifestRow, Status};
use crate::settings::Settings;

/// The decision for one case at one date.
pub struct Planned {
    /// The case and where it was read (its history completed from the
    /// journal).
    pub loaded: LoadedCase,
    /// The run date.
    pub date: chrono::NaiveDate,
    /// What it owes and what is due; the computation's error is the case
    /// file's.
    pub outcome: Result<(Statement, Decision), InputError>,
}

impl Planned {
    /// The letter due, when the computation succeeded and one is due.
    pub fn letter(&self) -> Option<Letter<'_>> {
        let (owed, decision) = self.outcome.as_ref().ok()?;
        let due = decision.letter()?;
        Some(Letter { case: &self.loaded.case, owed, due, date: owed.date })
    }
}

/// Computes what a case owes and which letter it is due for at the
/// settings' date (`--level` forces the level).
pub fn plan_case(session: &Session, mut loaded: LoadedCase, settings: &Settings) -> Planned {
    let date = settings.date;
    if let Some(journal) = &settings.journal
        && let Err(e) = add_history(&mut loaded, journal, settings, session.config.smtp.is_some())
    {
        return Planned { loaded, date, outcome: Err(e) };
    }
    let policy = match session.config.policy_for(&loaded.case) {
        Ok((_, p)) => p,
        Err(message) => {
            let e = InputError::field(&loaded.path, "profil", message);
            return Planned { loaded, date, outcome: Err(e) };
        }
    };
    loaded.case.broken_promise = broken_promise(&loaded.case, date);
    loaded.case.broken_plan = broken_plan(&loaded.case, date);
    let outcome = law::statement(&loaded.case, &session.config.terms, &session.rates, date)
        .map(|owed| {
            let decision = escalation::decide(&loaded.case, policy, &owed, date, settings.forced);
            // Nothing late: perhaps a courtesy reminder of what falls due soon.
            if owed.total.is_zero()
                && settings.forced.is_none()
                && let Some(step) = policy.step(case::Level::Courtoisie)
            {
                let upcoming = law::upcoming(&loaded.case, &session.config.terms, &session.rates, date, step.delay);
                if let Some(courtesy) = escalation::courtesy(&loaded.case, policy, &upcoming, date) {
                    return (upcoming, courtesy);
                }
            }
            (owed, decision)
        })
        .map_err(|e| InputError::new(&loaded.path, e.to_string()));
    Planned { loaded, date, outcome }
}

/// Adds the journal's letters dated before the run to the case's history
/// (its YAML `letters:`), so that escalation counts from the last letter
/// actually issued. A letter of the run date itself is left out: running
/// again on the same day makes the same letter again, not the next one.
///
/// With `smtp:` configured (`mailed_by_relance`), an e-mail letter counts
/// from the day the server accepted it, and one not accepted yet holds the
/// case; without, e-mails are sent by other means and count when issued.
fn add_history(
    loaded: &mut LoadedCase,
    journal: &Journal,
    settings: &Settings,
    mailed_by_relance: bool,
) -> Result<(), InputError> {
    let id = loaded.case.id.0.clone();
    if let Some(e) = journal.case_error(&id) {
        return Err(e.clone());
    }
    let issued = journal.issued(&id);
    if let Some(last) = issued.last()
        && last.date > settings.date
        && !settings.force
    {
        return Err(InputError::new(
            &loaded.path,
            format!(
                "le journal a déjà une lettre ({}) du {} pour ce dossier, après la date de production {} ; attendu : une date de production au {} ou après, ou --force pour produire quand même",
                last.level, last.date, settings.date, last.date
            ),
        ));
    }
    for i in issued {
        let mut sent = i.as_sent(journal);
        if mailed_by_relance && i.channel == case::Channel::Email {
            match journal.mailed(&i.entry) {
                Some(m) => sent.date = case::Date(m.date.max(i.date)),
                None => {
                    if i.date < settings.date && loaded.case.unsent_email.is_none() {
                        let why = match journal.mail_failed(&i.entry) {
                            Some(f) => format!(" ; dernier essai le {} : {}", f.date, f.reason),
                            None => String::new(),
                        };
                        loaded.case.unsent_email = Some(format!(
                            "l'e-mail {} du {} n'a pas été accepté par le serveur{why} ; lancez relance send (ou relance journal void si l'adresse est fausse)",
                            i.level, i.date
                        ));
                    }
                    continue;
                }
            }
        }
        if sent.date.0 < settings.date {
            loaded.case.letters.push(sent);
        }
    }
    if let Some(t) = journal.transmitted(&id).filter(|t| t.date <= settings.date) {
        loaded.case.transmitted = Some(t.describe());
    }
    apply_calls(&mut loaded.case, journal.calls(&id), settings.date);
    if let Some(plan) = journal.plan(&id).filter(|p| p.date.0 <= settings.date)
        && loaded.case.echeancier.as_ref().is_none_or(|own| own.date.0 <= plan.date.0)
    {
        loaded.case.echeancier = Some(plan.clone());
    }
    if let Some((letter, lrar)) = journal.unknown_address(&id)
        && letter.address == loaded.case.debtor.address_lines()
    {
        loaded.case.address_to_verify = Some(format!(
            "la lettre recommandée n° {} du {} est revenue « destinataire inconnu à l'adresse » (enregistré le {})",
            lrar.number, letter.date, lrar.recorded
        ));
    }
    Ok(())
}

/// What the telephone calls recorded before `date` do to a case: the last
/// one's promise holds the escalation until its date, a dispute puts the
/// case on hold, and a promise broken is said in the next letter.
fn apply_calls(case: &mut case::Case, calls: &[crate::journal::CallRecord], date: chrono::NaiveDate) {
    use crate::journal::CallOutcome;
    case.reached = calls.iter().rev().find(|c| c.date <= date && c.outcome != CallOutcome::Injoignable).map(|c| c.date);
    let Some(last) = calls.iter().rev().find(|c| c.date <= date) else { return };
    case.last_call = Some(format!(
        "appel du {} : {}{}",
        crate::money::format_date(last.date),
        last.outcome.label(),
        last.note.as_deref().map(|n| format!(" ({n})")).unwrap_or_default()
    ));
    match (last.outcome, last.amount, last.until) {
        (CallOutcome::Promesse, Some(amount), Some(until)) => {
            let later = case.promise.as_ref().is_none_or(|p| p.date.0 < until);
            if later {
                case.promise = Some(case::Promise { date: case::Date(until), amount: case::Amount(amount) });
                case.promise_made = Some(last.date);
            }
        }
        (CallOutcome::Litige, _, _) if case.hold.is_none() => {
            case.hold = Some(format!(
                "litige signalé lors de l'appel du {}{}",
                crate::money::format_date(last.date),
                last.note.as_deref().map(|n| format!(" : {n}")).unwrap_or_default()
            ));
        }
        _ => {}
    }
}

/// A promise whose date has passed without the sum promised being paid,
/// as the next letter says it; `None` once a letter followed it.
fn broken_promise(case: &case::Case, date: chrono::NaiveDate) -> Option<String> {
    let p = case.promise.as_ref()?;
    if p.date.0 >= date {
        return None;
    }
    if case.letters.iter().any(|l| l.level.escalates() && l.date.0 > p.date.0) {
        return None;
    }
    let since = case.promise_made.unwrap_or(chrono::NaiveDate::MIN);
    let paid: rust_decimal::Decimal =
        case.payments.iter().filter(|x| x.date.0 >= since && x.date.0 <= p.date.0).map(|x| x.amount.0).sum();
    if paid >= p.amount.0 {
        return None;
    }
    let how = match case.promise_made {
        Some(d) => format!("Lors de notre entretien téléphonique du {}, vous", crate::money::format_date(d)),
        None => "Vous".to_string(),
    };
    Some(format!(
        "{how} vous étiez engagé à nous régler {} au plus tard le {} ; {}",
        crate::money::format_eur(p.amount.0),
        crate::money::format_date(p.date.0),
        if paid.is_zero() {
            "ce règlement ne nous est pas parvenu.".to_string()
        } else {
            format!("nous n'avons reçu que {}.", crate::money::format_eur(paid))
        }
    ))
}

/// A payment plan broken and not yet followed by a letter, as the next
/// letter says it.
fn broken_plan(case: &case::Case, date: chrono::NaiveDate) -> Option<String> {
    let plan = case.echeancier.as_ref().filter(|p| p.date.0 <= date)?;
    let crate::echeancier::PlanState::Broken { missed, .. } = crate::echeancier::state(plan, case, date) else {
        return None;
    };
    if case.letters.iter().any(|l| l.level.escalates() && l.date.0 > missed.date.0 && l.date.0 < date) {
        return None;
    }
    Some(crate::echeancier::broken_sentence(plan, &missed))
}

/// The case files a `CASES` argument names: a folder's case files (see
/// [`case::case_files`]), or one file.
pub fn case_paths(cases: &Path, config_path: &Path) -> Vec<Result<PathBuf, InputError>> {
    if cases.is_file() {
        vec![Ok(cases.to_path_buf())]
    } else if cases.is_dir() {
        case::case_files(cases, Some(config_path))
    } else {
        vec![Err(InputError::new(
            cases,
            "ce fichier ou ce dossier n'existe pas ; attendu : un dossier de dossiers (fichiers .yaml) ou un fichier de dossier",
        ))]
    }
}

/// Loads every case under `cases` (a folder, or a single file).
pub fn load_cases(cases: &Path, config_path: &Path) -> (Vec<LoadedCase>, Vec<InputError>) {
    case::load_cases(case_paths(cases, config_path))
}

/// `relance plan`: one row per case, as the manifest of a build would list
/// it (the file a letter would be written to, no file written), and the
/// errors of the files that could not be read.
pub fn rows(session: &Session, cases: &Path, settings: &Settings) -> (Vec<ManifestRow>, Vec<InputError>) {
    let (loaded, errors) = load_cases(cases, &session.config_path);
    let mut rows: Vec<_> = errors.iter().map(|e| ManifestRow::for_error(e, None)).collect();
    for l in loaded {
        let planned = plan_case(session, l, settings);
        let mut row = ManifestRow::planned(&planned);
        if let Err(e) = &planned.outcome {
            row.status = Status::Error;
            row.error = e.to_string();
        }
        if let Some(letter) = planned.letter() {
            row.file = if letter.due.channel == case::Channel::Telephone {
                "appels.pdf".to_string()
            } else {
                format!("letters/{}", letter::file_name(&letter.case.id.0, letter.due.level))
            };
        }
        rows.push(row);
    }
    (rows, errors)
}

/// The rows of `relance plan` as a text table.
pub fn table(rows: &[ManifestRow]) -> String {
    let header = [
        "dossier",
        "type",
        "profil",
        "niveau",
        "canal",
        "principal",
        "pénalités",
        "indemnités",
        "intérêts",
        "total",
        "dernière lettre",
        "prochaine",
        "motif ou erreur",
    ];
    let dash = |s: &str| if s.is_empty() { "-".to_string() } else { s.to_string() };
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.id.clone(),
                r.debtor_type.clone(),
                dash(&r.profile),
                dash(&r.level),
                dash(&r.channel),
                r.principal.clone(),
                r.penalties.clone(),
                r.indemnities.clone(),
                r.interest.clone(),
                r.total.clone(),
                dash(&r.last_letter),
                dash(&r.next_due),
                if r.error.is_empty() { r.reason.clone() } else { r.error.clone() },
            ]
        })
        .collect();
    let mut out = crate::table::render("", &header, &cells, &[5, 6, 7, 8, 9]);
    let mut warnings = crate::pack::Warnings::default();
    rows.iter().for_each(|r| warnings.add(r));
    if !warnings.is_empty() {
        out.push_str("\nAvertissements :\n");
        for line in warnings.lines() {
            out.push_str(&format!("  - {line}\n"));
        }
    }
    out
}
