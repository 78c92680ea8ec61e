//! After an unanswered mise en demeure: the file of the contentieux
//! (`relance contentieux`). Which cases are ready ([`assess`]), by which
//! route ([`Route`]: the requête en injonction de payer, C. proc. civ. 1405
//! to 1425, or for a small claim the procédure simplifiée de recouvrement
//! des petites créances through a commissaire de justice, C. proc. civ.
//! exéc. L125-1), before which court ([`court`], C. proc. civ. 1406), and
//! the documents: the requête or the hand-off letter, the bordereau des
//! pièces with the pièces themselves, and the hand-off data.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::Session;
use crate::case::{Case, Channel, Config, InputError, Level, PreferredRoute, SentLetter};
use crate::error::LetterError;
use crate::escalation::{Decision, LetterDue, formal_notice_expiry, last_letter};
use crate::journal::{Issued, Journal};
use crate::law::Statement;
use crate::letter::{self, Letter};
use crate::money::{format_date, format_eur};
use crate::pack::Document;
use crate::plan::Planned;
use crate::settings::Settings;
use crate::typeset::{self, LetterWorld};

mod handoff;

pub use handoff::{HandOff, handoff_csv};

/// The template of the requête en injonction de payer.
pub const REQUETE: &str = "requete-injonction.typ.j2";
/// The template of the hand-off letter to a commissaire de justice.
pub const SAISINE: &str = "saisine-commissaire.typ.j2";
/// The template of the bordereau des pièces (with the pièces).
pub const BORDEREAU: &str = "bordereau-pieces.typ.j2";

/// The documents `relance check` checks besides the letters, by the name
/// `requirements.yaml` gives them in `levels:`.
pub const DOCUMENTS: [(&str, &str); 2] = [("requete-injonction", REQUETE), ("saisine-commissaire", SAISINE)];

/// How the claim goes to be enforced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Route {
    /// A requête en injonction de payer to the court.
    Injonction,
    /// The procédure simplifiée de recouvrement des petites créances,
    /// through a commissaire de justice.
    Commissaire,
}

impl Route {
    /// The name in the hand-off data and the journal.
    pub fn as_str(self) -> &'static str {
        match self {
            Route::Injonction => "injonction",
            Route::Commissaire => "commissaire",
        }
    }

    /// The main document of the route.
    pub fn template(self) -> &'static str {
        match self {
            Route::Injonction => REQUETE,
            Route::Commissaire => SAISINE,
        }
    }
}

/// The court that hears the claim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Court {
    /// `tribunal de commerce` or `tribunal judiciaire`.
    pub kind: &'static str,
    /// As the requête names it: the court of the case file's `tribunal:`,
    /// or its kind and the debtor's place.
    pub name: String,
    /// Why that court, with the articles.
    pub rule: String,
    /// The official form of the requête, cited for information.
    pub cerfa: &'static str,
}

/// The court competent for `case`: the tribunal de commerce when both
/// parties are traders (C. com. L721-3), else the tribunal judiciaire; of
/// the place where the debtor lives or has its seat (C. proc. civ. 1406).
pub fn court(config: &Config, case: &Case) -> Court {
    let d = &case.debtor;
    let place = format!("{} {}", d.postal_code.0, d.city);
    let commercial = config.creditor.commercant && d.is_trader();
    let (kind, cerfa, rule) = if commercial {
        (
            "tribunal de commerce",
            "Cerfa n° 12946*02",
            format!(
                "créance commerciale entre commerçants (article L721-3 du Code de commerce) : président du tribunal de commerce du lieu du siège du débiteur, {place} (article 1406 du Code de procédure civile)"
            ),
        )
    } else {
        let why = if d.is_b2b() {
            "le débiteur n'est pas commerçant"
        } else if config.creditor.commercant {
            "créance civile : le débiteur est un particulier"
        } else {
            "le créancier n'est pas commerçant"
        };
        (
            "tribunal judiciaire",
            "Cerfa n° 12948*06",
            format!(
                "{why} : juge du tribunal judiciaire (ou de sa chambre de proximité) du lieu où demeure le débiteur, {place} (article 1406 du Code de procédure civile)"
            ),
        )
    };
    let name = case.tribunal.clone().unwrap_or_else(|| {
        let seat = if d.is_b2b() { "a son siège" } else { "demeure" };
        let kind = if commercial { "Tribunal de commerce" } else { "Tribunal judiciaire" };
        format!("{kind} dans le ressort duquel le débiteur {seat} ({place})")
    });
    Court { kind, name, rule, cerfa }
}

/// A case ready for the contentieux.
#[derive(Debug, Clone)]
pub struct Ready {
    /// The route proposed.
    pub route: Route,
    /// Why that route, in French.
    pub why: String,
    /// The court.
    pub court: Court,
    /// The mise en demeure, when one was sent.
    pub formal_notice: Option<SentLetter>,
    /// The last day it gave to pay.
    pub expired: Option<NaiveDate>,
    /// `--case`: the exclusion it overrode, if any.
    pub forced: Option<String>,
}

/// Ready, or left out and why.
#[derive(Debug, Clone)]
pub enum Assessment {
    /// Ready: the file is prepared.
    Ready(Box<Ready>),
    /// Left out, with the reason in French.
    Excluded(String),
}

/// The amount compared to the ceiling of the procédure simplifiée and to
/// the minimum: principal, penalties and interest (C. proc. civ. exéc.
/// R125-1 counts « principal et intérêts »), the recovery indemnities left
/// aside.
pub fn claim(owed: &Statement) -> Decimal {
    owed.total - owed.indemnities
}

/// Whether `planned` is ready for the contentieux at its date, and if not
/// why. `forced` (`--case`) overrides every reason but an error or nothing
/// owed.
pub fn assess(session: &Session, planned: &Planned, journal: Option<&Journal>, forced: bool) -> Assessment {
    let case = &planned.loaded.case;
    let date = planned.date;
    let Ok((owed, decision)) = &planned.outcome else {
        return Assessment::Excluded("erreur dans le dossier".into());
    };
    if owed.principal <= Decimal::ZERO && owed.total <= Decimal::ZERO {
        let why = match decision {
            Decision::Skip { reason, .. } => reason.clone(),
            Decision::Send(_) => "rien à réclamer".into(),
        };
        return Assessment::Excluded(why);
    }
    let policy = match session.config.policy_for(case) {
        Ok((_, p)) => p,
        Err(e) => return Assessment::Excluded(e),
    };
    let notice = last_letter(case, date).filter(|l| l.level == Level::MiseEnDemeure).cloned();
    let expired = notice.as_ref().and_then(|n| n.received).map(|r| formal_notice_expiry(r.0, policy));
    let exclusion = exclusion(session, case, owed, date, journal, notice.as_ref(), expired);
    let forced_reason = match exclusion {
        Some(reason) if !forced => return Assessment::Excluded(reason),
        other => other,
    };
    let (route, why) = route(&session.config, owed);
    Assessment::Ready(Box::new(Ready {
        route,
        why,
        court: court(&session.config, case),
        formal_notice: notice,
        expired,
        forced: forced_reason,
    }))
}

/// Why a case that owes something is not ready, if it is not.
fn exclusion(
    session: &Session,
    case: &Case,
    owed: &Statement,
    date: NaiveDate,
    journal: Option<&Journal>,
    notice: Option<&SentLetter>,
    expired: Option<NaiveDate>,
) -> Option<String> {
    if let Some(t) = journal.and_then(|j| j.transmitted(&case.id.0)).filter(|t| t.date < date) {
        return Some(format!("déjà {}", t.describe()));
    }
    if let Some(hold) = &case.hold {
        return Some(format!("suspendu : {hold}"));
    }
    if let Some(p) = case.promise.as_ref().filter(|p| p.date.0 >= date) {
        return Some(format!(
            "promesse de paiement de {} au {} en cours",
            format_eur(p.amount.0),
            format_date(p.date.0)
        ));
    }
    if let Some(plan) = case.echeancier.as_ref().filter(|p| p.date.0 <= date)
        && let crate::echeancier::PlanState::Kept { .. } = crate::echeancier::state(plan, case, date)
    {
        return Some(format!("échéancier du {} respecté", format_date(plan.date.0)));
    }
    if let Some(why) = &case.address_to_verify {
        return Some(format!("adresse à vérifier : {why}"));
    }
    let Some(notice) = notice else {
        return Some(match last_letter(case, date) {
            Some(l) => format!(
                "pas de mise en demeure envoyée (dernière étape : {} du {})",
                l.level.label_fr(),
                format_date(l.date.0)
            ),
            None => "pas de mise en demeure envoyée".into(),
        });
    };
    let Some(expired) = expired else {
        return Some(format!(
            "mise en demeure du {} : réception non enregistrée (relance record) ; le délai de paiement court de sa réception",
            format_date(notice.date.0)
        ));
    };
    if date <= expired {
        return Some(format!(
            "mise en demeure reçue le {} : délai de paiement jusqu'au {}",
            notice.received.map(|r| format_date(r.0)).unwrap_or_default(),
            format_date(expired)
        ));
    }
    if let Some(minimum) = session.config.contentieux.minimum
        && claim(owed) < minimum.0
    {
        return Some(format!(
            "{} réclamés, sous le seuil de {} fixé pour le contentieux (contentieux.minimum)",
            format_eur(claim(owed)),
            format_eur(minimum.0)
        ));
    }
    None
}

/// The route for a claim, and why.
fn route(config: &Config, owed: &Statement) -> (Route, String) {
    let c = &config.contentieux;
    let amount = claim(owed);
    let ceiling = format_eur(c.petites_creances.0);
    if amount > c.petites_creances.0 {
        return (
            Route::Injonction,
            format!(
                "{} en principal et intérêts, au-delà de {ceiling} : la procédure simplifiée des petites créances n'est pas ouverte (art. R125-1 CPCE) ; requête en injonction de payer",
                format_eur(amount)
            ),
        );
    }
    match c.route {
        PreferredRoute::Commissaire => (
            Route::Commissaire,
            format!(
                "petite créance ({} ≤ {ceiling}, art. L125-1 CPCE) : procédure simplifiée par un commissaire de justice, route préférée ; si le débiteur n'y consent pas dans le mois, requête en injonction de payer",
                format_eur(amount)
            ),
        ),
        PreferredRoute::Injonction => (
            Route::Injonction,
            format!(
                "petite créance ({} ≤ {ceiling}) : requête en injonction de payer, route préférée (la procédure simplifiée par un commissaire de justice reste possible, art. L125-1 CPCE)",
                format_eur(amount)
            ),
        ),
    }
}

/// The PDFs a bordereau embeds: (data file name, bytes).
pub type DataFiles = Vec<(String, Vec<u8>)>;

/// A document of the bordereau.
#[derive(Debug, Clone, Serialize)]
pub struct Piece {
    /// Its number, from 1.
    pub number: usize,
    /// What it is, in French.
    pub title: String,
    /// Where it comes from, or why it is not attached.
    pub note: String,
    /// The data file of its PDF, when attached.
    pub key: Option<String>,
    /// Its pages, when attached.
    pub pages: Vec<usize>,
    /// The décompte itself, typeset in the bordereau.
    pub decompte: bool,
    /// A copy that should be attached and could not be found.
    pub missing: bool,
}

/// The files of earlier runs, searched for the letters relance issued (by
/// file name, checked by their SHA-256 in the journal).
#[derive(Debug, Default)]
pub struct LetterArchive {
    by_name: HashMap<String, Vec<PathBuf>>,
    /// The folders searched, for messages.
    pub roots: Vec<PathBuf>,
}

impl LetterArchive {
    /// Indexes the PDFs under `roots` (searched recursively).
    pub fn index(roots: &[PathBuf]) -> LetterArchive {
        let mut by_name: HashMap<String, Vec<PathBuf>> = HashMap::new();
        for root in roots {
            for entry in walkdir::WalkDir::new(root).follow_links(false).into_iter().filter_map(Result::ok) {
                let path = entry.path();
                if entry.file_type().is_file() && path.extension().is_some_and(|x| x == "pdf") {
                    let name = entry.file_name().to_string_lossy().into_owned();
                    by_name.entry(name).or_default().push(path.to_path_buf());
                }
            }
        }
        for paths in by_name.values_mut() {
            paths.sort();
        }
        LetterArchive { by_name, roots: roots.to_vec() }
    }

    /// The PDF of an issued letter: a file of its name whose SHA-256 is the
    /// one the journal recorded.
    fn find(&self, issued: &Issued) -> Option<(Document, PathBuf)> {
        let name = Path::new(&issued.file).file_name()?.to_string_lossy().into_owned();
        self.by_name.get(&name)?.iter().find_map(|path| {
            let bytes = crate::safe_read::read(path, 10 * 1024 * 1024, None).ok()?;
            if crate::atomic::sha256_hex(&bytes) != issued.sha256 {
                return None;
            }
            let pages = crate::pack::print::page_count(&bytes).ok()?;
            Some((Document { name: name.clone(), bytes, pages }, path.clone()))
        })
    }
}

/// The pièces of a case, in order: invoices, letters (with the avis de
/// réception of the mise en demeure), the décompte. Returns them with the
/// PDFs to serve to the bordereau.
pub fn pieces(
    planned: &Planned,
    journal: Option<&Journal>,
    archive: &LetterArchive,
) -> Result<(Vec<Piece>, DataFiles), InputError> {
    collect_pieces(planned, journal, archive, true)
}

/// The pièces of a case as listed, without reading any file (for `relance
/// check`).
pub fn listed_pieces(planned: &Planned) -> Vec<Piece> {
    collect_pieces(planned, None, &LetterArchive::default(), false).map(|(p, _)| p).unwrap_or_default()
}

fn collect_pieces(
    planned: &Planned,
    journal: Option<&Journal>,
    archive: &LetterArchive,
    attach: bool,
) -> Result<(Vec<Piece>, DataFiles), InputError> {
    let case = &planned.loaded.case;
    let path = &planned.loaded.path;
    let date = planned.date;
    let owed = planned.outcome.as_ref().map_err(Clone::clone)?.0.clone();
    let mut pieces = Vec::new();
    let mut data = Vec::new();
    let mut add = |title: String, note: String, doc: Option<Document>, missing: bool, decompte: bool| {
        let number = pieces.len() + 1;
        let (key, pages) = match doc {
            Some(d) => {
                let key = format!("piece-{number}.pdf");
                data.push((key.clone(), d.bytes));
                (Some(key), (1..=d.pages).collect())
            }
            None => (None, Vec::new()),
        };
        pieces.push(Piece { number, title, note, key, pages, decompte, missing });
    };
    for inv in &owed.invoices {
        let title = format!(
            "Facture n° {} du {}, échue le {}, {} TTC",
            inv.number,
            format_date(inv.date),
            format_date(inv.due),
            format_eur(inv.amount)
        );
        let file = case.invoices.iter().enumerate().find(|(_, i)| i.number == inv.number);
        match file.and_then(|(i, f)| f.file.as_ref().map(|file| (i, file))) {
            Some((i, file)) => {
                let doc = if attach {
                    Some(crate::run::read_beside(path, &format!("invoices[{i}].file"), file)?.0)
                } else {
                    None
                };
                add(title, format!("copie ({file})"), doc, false, false);
            }
            None => add(title, "copie à joindre : pas de fichier (invoices[].file)".into(), None, true, false),
        }
    }
    let issued: &[Issued] = journal.map_or(&[], |j| j.issued(&case.id.0));
    let mut letters: Vec<(usize, &SentLetter)> = case
        .letters
        .iter()
        .enumerate()
        .filter(|(_, l)| l.date.0 <= date && l.level.escalates() && l.channel != Channel::Telephone)
        .collect();
    letters.sort_by_key(|(_, l)| (l.date.0, l.level));
    for (i, l) in letters {
        let how = match l.channel {
            Channel::Email => "envoyée par e-mail".to_string(),
            Channel::Lrar => match &l.tracking {
                Some(t) => format!("lettre recommandée avec accusé de réception n° {t}"),
                None => "lettre recommandée avec accusé de réception".into(),
            },
            _ => "envoyée par courrier".into(),
        };
        let title = format!("{} du {}, {how}", crate::text::capitalised(l.level.label_fr()), format_date(l.date.0));
        let from_journal = issued.iter().find(|x| x.level == l.level && x.date == l.date.0);
        if let Some(file) = &l.file {
            let doc =
                if attach { Some(crate::run::read_beside(path, &format!("letters[{i}].file"), file)?.0) } else { None };
            add(title, format!("copie ({file})"), doc, false, false);
        } else if let Some(issued) = from_journal {
            match archive.find(issued) {
                Some((doc, found)) => {
                    add(title, format!("émise par relance ({})", found.display()), Some(doc), false, false)
                }
                None => add(
                    title,
                    format!(
                        "copie à joindre : {} introuvable{} (empreinte SHA-256 du journal {}…)",
                        issued.file,
                        if archive.roots.is_empty() {
                            " (--letters non donné)".to_string()
                        } else {
                            format!(
                                " dans {}",
                                archive.roots.iter().map(|r| r.display().to_string()).collect::<Vec<_>>().join(", ")
                            )
                        },
                        &issued.sha256[..12.min(issued.sha256.len())]
                    ),
                    None,
                    true,
                    false,
                ),
            }
        } else {
            add(title, "copie à joindre : lettre envoyée hors relance (letters[].file)".into(), None, true, false);
        }
        if l.level == Level::MiseEnDemeure && l.channel == Channel::Lrar {
            let lrar = from_journal.and_then(|i| journal.and_then(|j| j.lrar(&i.entry)));
            let what = match (lrar, l.received) {
                (Some(r), _) if r.delivered.is_some() => {
                    format!("distribuée le {}", r.delivered.map(format_date).unwrap_or_default())
                }
                (Some(r), Some(rec)) if r.returned.is_some() => format!(
                    "présentée le {}, {}",
                    format_date(rec.0),
                    r.returned.map(|x| x.label()).unwrap_or_default()
                ),
                (_, Some(rec)) => format!("reçue le {}", format_date(rec.0)),
                (_, None) => "réception non enregistrée".into(),
            };
            let number = l.tracking.as_deref().map(|t| format!(" n° {t}")).unwrap_or_default();
            add(
                format!("Avis de réception de la lettre recommandée{number} : {what}"),
                "original papier à joindre".into(),
                None,
                false,
                false,
            );
        }
    }
    add(
        format!("Décompte de la créance arrêté au {}", format_date(date)),
        "établi par relance, ci-après".into(),
        None,
        false,
        true,
    );
    Ok((pieces, data))
}

/// What the requête, the hand-off letter and the bordereau see: the
/// letter's context (parties, invoices, décompte) and the court's.
#[derive(Debug, Clone, Serialize)]
struct FileContext {
    #[serde(flatten)]
    letter: letter::LetterContext,
    court: Court,
    route: Route,
    route_why: String,
    /// The debtor as a party: its kind and, for a company, its form and
    /// the organ that represents it.
    party: Party,
    /// The mise en demeure.
    notice: Option<Notice>,
    pieces: Vec<Piece>,
    /// The amount claimed in principal and interest (R125-1 CPCE).
    claim: String,
    /// The ceiling of the procédure simplifiée.
    petites_creances: String,
    /// The creditor's own trader status.
    creditor_trader: bool,
    /// The debtor's address in one line: its domicile or registered office.
    debtor_address: String,
}

#[derive(Debug, Clone, Serialize)]
struct Party {
    company: bool,
    trader: bool,
    forme: Option<String>,
    representant: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
struct Notice {
    date: String,
    tracking: Option<String>,
    received: Option<String>,
    expired: Option<String>,
}

/// A document of the file, typeset.
pub struct Built {
    /// The PDF.
    pub pdf: Vec<u8>,
    /// Its pages.
    pub pages: usize,
}

/// The context of the documents of a case.
fn file_context(session: &Session, planned: &Planned, ready: &Ready, pieces: &[Piece]) -> FileContext {
    let (owed, _) = planned.outcome.as_ref().expect("a ready case was computed");
    let case = &planned.loaded.case;
    let date = planned.date;
    let due = LetterDue {
        level: Level::MiseEnDemeure,
        channel: Channel::Courrier,
        channel_note: None,
        deadline: date,
        deadline_days: 0,
    };
    let letter = Letter { case, owed, due: &due, date };
    let mut view = letter::context(&session.config, &letter);
    view.reference = format!("{}/contentieux", case.id);
    FileContext {
        letter: view,
        court: ready.court.clone(),
        route: ready.route,
        route_why: ready.why.clone(),
        party: Party {
            company: case.debtor.is_b2b(),
            trader: case.debtor.is_trader(),
            forme: case.debtor.forme.clone(),
            representant: case.debtor.representant.clone(),
        },
        notice: ready.formal_notice.as_ref().map(|n| Notice {
            date: format_date(n.date.0),
            tracking: n.tracking.clone(),
            received: n.received.map(|r| format_date(r.0)),
            expired: ready.expired.map(format_date),
        }),
        pieces: pieces.to_vec(),
        claim: format_eur(claim(owed)),
        petites_creances: format_eur(session.config.contentieux.petites_creances.0),
        creditor_trader: session.config.creditor.commercant,
        debtor_address: {
            let d = &case.debtor;
            let mut parts = d.address.clone();
            parts.push(format!("{} {}", d.postal_code.0, d.city));
            if let Some(country) = d.country.as_deref().filter(|c| !c.eq_ignore_ascii_case("FR")) {
                parts.push(country.to_uppercase());
            }
            parts.join(", ")
        },
    }
}

/// What the templates of a case's documents see, as JSON (for `relance
/// check`).
pub fn context_json(session: &Session, planned: &Planned, ready: &Ready, pieces: &[Piece]) -> serde_json::Value {
    serde_json::to_value(file_context(session, planned, ready, pieces)).expect("context serializes")
}

/// A case of `relance check` as if its mise en demeure, sent 30 days
/// before `date` and received two days later, had gone unanswered; `None`
/// when it owes nothing.
pub fn example(
    session: &Session,
    loaded: &crate::case::LoadedCase,
    date: NaiveDate,
    route: Route,
) -> Option<(Planned, Ready)> {
    let mut case = loaded.case.clone();
    let sent = date.checked_sub_days(chrono::Days::new(30))?;
    let received = sent.checked_add_days(chrono::Days::new(2))?;
    let notice = SentLetter {
        level: Level::MiseEnDemeure,
        date: crate::case::Date(sent),
        channel: Channel::Lrar,
        tracking: Some("1A00000000000".into()),
        received: Some(crate::case::Date(received)),
        file: None,
    };
    case.letters.push(notice.clone());
    let owed = crate::law::statement(&case, &session.config.terms, &session.rates, date).ok()?;
    if owed.principal.is_zero() {
        return None;
    }
    let (_, why) = self::route(&session.config, &owed);
    let ready = Ready {
        route,
        why,
        court: court(&session.config, &case),
        formal_notice: Some(notice),
        expired: received.checked_add_days(chrono::Days::new(8)),
        forced: None,
    };
    let decision = Decision::Skip { reason: String::new(), next: None };
    let planned = Planned {
        loaded: crate::case::LoadedCase { path: loaded.path.clone(), case },
        date,
        outcome: Ok((owed, decision)),
    };
    Some((planned, ready))
}

/// Makes the main document of the route (the requête, or the hand-off
/// letter) and the bordereau with its pièces.
pub fn build(
    session: &Session,
    world: &mut LetterWorld,
    planned: &Planned,
    ready: &Ready,
    pieces: &[Piece],
    data: Vec<(String, Vec<u8>)>,
    draft: bool,
) -> Result<(Built, Built), LetterError> {
    let (owed, _) = planned.outcome.as_ref().expect("a ready case was computed");
    let case = &planned.loaded.case;
    let date = planned.date;
    let ctx = file_context(session, planned, ready, pieces);
    let value = minijinja::Value::from_serialize(&ctx);
    let renderer = session.renderer_for(case.profil.as_deref());
    let template = ready.route.template();
    let attached = serde_json::to_vec_pretty(&serde_json::json!({
        "generator": format!("relance {}", env!("CARGO_PKG_VERSION")),
        "date": date,
        "draft": draft,
        "route": ready.route,
        "court": ready.court,
        "case": case,
        "statement": owed,
        "pieces": pieces,
    }))
    .expect("case data serializes");
    let main = typeset_one(world, session, renderer, template, &value, draft, date, case, Some(attached), vec![])?;
    let bordereau = typeset_one(world, session, renderer, BORDEREAU, &value, draft, date, case, None, data)?;
    Ok((main, bordereau))
}

/// Renders and typesets one document of the file.
#[allow(clippy::too_many_arguments)]
fn typeset_one(
    world: &mut LetterWorld,
    session: &Session,
    renderer: &crate::render::Renderer,
    template: &str,
    value: &minijinja::Value,
    draft: bool,
    date: NaiveDate,
    case: &Case,
    attached: Option<Vec<u8>>,
    data: Vec<(String, Vec<u8>)>,
) -> Result<Built, LetterError> {
    let rendered = renderer.render_text(template, value).map_err(LetterError::Render)?;
    let mut markup = String::new();
    if draft {
        markup.push_str(letter::DRAFT_WATERMARK);
    }
    markup.push_str(&rendered);
    let stem = template.trim_end_matches(".typ.j2");
    if let Some(json) = attached {
        let description = format!("Dossier {} : données, décompte au {date} et pièces, calculés par relance", case.id);
        markup.push_str(&letter::attachment(&format!("relance-{}-contentieux.json", case.id), &description, &json));
    }
    // Embedded PDFs (invoice copies) are not PDF/A: the bordereau is not archival.
    let archival = data.is_empty();
    let export = typeset::Export {
        date,
        ident: format!("relance/{}/{stem}/{date}", case.id),
        archival,
        data,
        checks: archival.then_some(typeset::LetterChecks { max_pages: letter::MAX_PAGES }),
    };
    let (pdf, pages) = world.compile_pdf(typeset::letter_source(&markup), export).map_err(|error| {
        let mut error = LetterError::compile(template, error);
        if let LetterError::Typeset { error, .. } = &mut error {
            error.locate_in(&session.templates, template);
        }
        error
    })?;
    Ok(Built { pdf, pages })
}

/// What `relance contentieux` was asked for besides the run's settings.
#[derive(Debug, Default)]
pub struct Options {
    /// `--case`: only this case, forced.
    pub case: Option<String>,
    /// `--letters`: folders of earlier runs, where the letters relance
    /// issued are looked for.
    pub letters: Vec<PathBuf>,
}

/// The outcome of `relance contentieux`.
#[derive(Debug, Default)]
pub struct Report {
    /// One row per case handled.
    pub rows: Vec<HandOff>,
    /// The errors: files that could not be read, cases that failed.
    pub errors: Vec<String>,
    /// Whether `--case` named a case that was not found.
    pub unknown_case: bool,
}

impl Report {
    /// Cases ready, by route.
    pub fn ready(&self, route: Route) -> usize {
        self.rows.iter().filter(|r| r.status == "pret" && r.route == Some(route)).count()
    }

    /// Cases left out.
    pub fn excluded(&self) -> usize {
        self.rows.iter().filter(|r| r.status == "exclu").count()
    }
}

/// Prepares the contentieux file of every ready case of `cases` into `out`:
/// per case `<id>/requete-injonction.pdf` (or `saisine-commissaire.pdf`)
/// and `<id>/bordereau-pieces.pdf`; for all `contentieux.csv` and
/// `contentieux.json`. Records the cases handed over in the journal when
/// `settings.record`.
pub fn prepare(
    session: &Session,
    cases: &Path,
    out: &Path,
    settings: &Settings,
    options: &Options,
) -> std::io::Result<Report> {
    use crate::pack::Sink;
    let mut report = Report::default();
    let (loaded, errors) = crate::load_cases(cases, &session.config_path);
    report.errors.extend(errors.iter().map(ToString::to_string));
    let loaded: Vec<_> = match &options.case {
        Some(id) => loaded.into_iter().filter(|l| &l.case.id.0 == id).collect(),
        None => loaded,
    };
    report.unknown_case = options.case.is_some() && loaded.is_empty();
    let output = crate::atomic::Output::prepare(out)?;
    let out = output.staging.clone();
    let out = out.as_path();
    let sink = crate::pack::Folder(out.to_path_buf());
    let archive = LetterArchive::index(&options.letters);
    let journal = settings.journal.as_deref();
    let mut world = session.world();
    let mut transmitted = Vec::new();
    for l in loaded {
        let planned = crate::plan_case(session, l, settings);
        if planned.outcome.is_err() {
            if let Err(e) = &planned.outcome {
                report.errors.push(e.to_string());
            }
            report.rows.push(HandOff::new(session, &planned, None, vec![], vec![]));
            continue;
        }
        let assessment = assess(session, &planned, journal, options.case.is_some());
        let Assessment::Ready(ready) = &assessment else {
            report.rows.push(HandOff::new(session, &planned, Some(&assessment), vec![], vec![]));
            continue;
        };
        let id = planned.loaded.case.id.0.clone();
        let made = pieces(&planned, journal, &archive).map_err(|e| e.to_string()).and_then(|(pieces, data)| {
            let (main, bordereau) = build(session, &mut world, &planned, ready, &pieces, data, settings.draft)
                .map_err(|e| format!("{} : {e}", planned.loaded.path.display()))?;
            Ok((pieces, main, bordereau))
        });
        let (pieces, main, bordereau) = match made {
            Ok(x) => x,
            Err(e) => {
                report.errors.push(e.clone());
                let mut row = HandOff::new(session, &planned, Some(&assessment), vec![], vec![]);
                row.status = "erreur";
                row.reason = e;
                report.rows.push(row);
                continue;
            }
        };
        let main_file = format!("{id}/{}", ready.route.template().trim_end_matches(".typ.j2")) + ".pdf";
        let bordereau_file = format!("{id}/bordereau-pieces.pdf");
        std::fs::create_dir_all(out.join(&id))?;
        sink.write(Path::new(&main_file), &main.pdf)?;
        sink.write(Path::new(&bordereau_file), &bordereau.pdf)?;
        let missing: Vec<String> = pieces
            .iter()
            .filter(|p| p.missing || p.note.starts_with("original"))
            .map(|p| format!("pièce n° {} : {}", p.number, p.title))
            .collect();
        let files = vec![main_file, bordereau_file];
        if let Ok((owed, _)) = &planned.outcome {
            transmitted.push(crate::journal::Entry::Contentieux(crate::journal::Transmis {
                case: id.clone(),
                date: settings.date,
                route: ready.route.as_str().into(),
                total: owed.total,
                files: files.clone(),
                run: String::new(),
            }));
        }
        report.rows.push(HandOff::new(session, &planned, Some(&assessment), files, missing));
    }
    report.rows.sort_by(|a, b| a.id.cmp(&b.id));
    sink.write(Path::new("contentieux.csv"), &handoff_csv(&report.rows, settings.csv)?)?;
    let mut json = serde_json::to_vec_pretty(&serde_json::json!({
        "generator": format!("relance {}", env!("CARGO_PKG_VERSION")),
        "date": settings.date,
        "draft": settings.draft,
        "recorded": settings.record,
        "cases": report.rows,
    }))
    .map_err(std::io::Error::other)?;
    json.push(b'\n');
    sink.write(Path::new("contentieux.json"), &json)?;
    sink.sync()?;
    output.commit()?;
    if settings.record && !transmitted.is_empty() {
        let dir = session.journal_dir(cases);
        std::fs::create_dir_all(&dir)?;
        let ids: Vec<String> = transmitted
            .iter()
            .filter_map(|e| match e {
                crate::journal::Entry::Contentieux(t) => Some(t.case.clone()),
                _ => None,
            })
            .collect();
        let run = crate::journal::run_name("contentieux", &format!("{}|{}", settings.date, ids.join("|")));
        for e in &mut transmitted {
            if let crate::journal::Entry::Contentieux(t) = e {
                t.run = run.clone();
            }
        }
        crate::journal::write_unsharded(&dir, run, settings.date, &transmitted)?;
    }
    Ok(report)
}
