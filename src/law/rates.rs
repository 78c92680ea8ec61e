//! The semester rate table (`data/rates.csv`): data that changes twice a year,
//! kept out of the code and shipped inside the binary.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

/// Where the table lives in the repository, for error messages.
pub const RATES_FILE: &str = "data/rates.csv";
const RATES_CSV: &str = include_str!("../../data/rates.csv");

/// A half-year: rates change on 1 January and 1 July.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Semester {
    /// The year.
    pub year: i32,
    /// 1 (January–June) or 2 (July–December).
    pub half: u8,
}

impl Semester {
    /// The semester a date falls in.
    pub fn of(date: NaiveDate) -> Semester {
        Semester { year: date.year(), half: if date.month() <= 6 { 1 } else { 2 } }
    }

    /// 1 January or 1 July.
    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, if self.half == 1 { 1 } else { 7 }, 1).unwrap_or(NaiveDate::MAX)
    }

    /// The following semester.
    pub fn next(self) -> Semester {
        if self.half == 1 { Semester { year: self.year, half: 2 } } else { Semester { year: self.year + 1, half: 1 } }
    }

    /// 30 June or 31 December.
    pub fn last_day(self) -> NaiveDate {
        self.next().first_day().pred_opt().unwrap_or(NaiveDate::MAX)
    }
}

impl fmt::Display for Semester {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}-S{}", self.year, self.half)
    }
}

/// One row of the table.
#[derive(Debug, Clone, PartialEq)]
pub struct SemesterRates {
    /// The semester.
    pub semester: Semester,
    /// ECB main refinancing rate in force on the semester's first day.
    pub ecb_mro: Decimal,
    /// Taux de l'intérêt légal, creditor a private person.
    pub legal_particulier: Decimal,
    /// Taux de l'intérêt légal, all other cases.
    pub legal_other: Decimal,
    /// The day the ECB rate took effect, when known.
    pub ecb_since: Option<NaiveDate>,
    /// The arrêté fixing the taux légal (date, NOR, JO), when known.
    pub legal_arrete: String,
}

impl SemesterRates {
    /// The legal default late-payment rate: ECB + 10 points (L441-10).
    pub fn default_penalty_rate(&self) -> Decimal {
        self.ecb_mro + Decimal::from(10)
    }

    /// The ECB rate and where it comes from, in French: « taux de
    /// refinancement de la BCE en vigueur au 1er juillet 2025 : 2,15 %
    /// (depuis le 11 juin 2025) ».
    pub fn ecb_source_fr(&self) -> String {
        let since = self
            .ecb_since
            .map(|d| format!(" (en vigueur depuis le {})", crate::money::format_date(d)))
            .unwrap_or_default();
        format!(
            "taux des opérations principales de refinancement de la BCE au {} : {}{since}",
            crate::money::format_date(self.semester.first_day()),
            crate::money::format_rate(self.ecb_mro)
        )
    }

    /// The arrêté fixing the taux légal of the semester, in French.
    pub fn legal_source_fr(&self) -> String {
        if self.legal_arrete.is_empty() {
            format!(
                "arrêté fixant le taux de l'intérêt légal pour le {}",
                super::period_fr(self.semester)
                    .replace("1er semestre", "premier semestre")
                    .replace("2d semestre", "second semestre")
            )
        } else {
            self.legal_arrete.clone()
        }
    }
}

/// The whole table, keyed by semester.
#[derive(Debug, Clone)]
pub struct RateTable {
    rows: BTreeMap<Semester, SemesterRates>,
    /// Where it was read, for messages.
    name: std::sync::Arc<str>,
}

/// A semester the table does not cover.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "pas de taux pour le semestre {semester} dans {table} : ajoutez la ligne {semester} (semester,ecb_mro,ecb_since,legal_particulier,legal_other,legal_arrete) à une copie de {RATES_FILE} et indiquez-la une fois pour toutes par rates: dans relance.yaml ; le taux de refinancement de la BCE en vigueur au {first_day} est publié par la BCE (ecb.europa.eu, décisions de politique monétaire) et la Banque de France, le taux de l'intérêt légal du semestre par arrêté au Journal officiel (legifrance.gouv.fr, fin juin pour le 2d semestre, fin décembre pour le 1er)"
)]
pub struct MissingSemester {
    /// The semester missing.
    pub semester: Semester,
    /// The table that lacks it (`data/rates.csv`, built in, or the
    /// `--rates` file).
    pub table: std::sync::Arc<str>,
    /// Its first day.
    pub first_day: NaiveDate,
}

/// A rate table that cannot be read: the row (1-based, the header is row 1)
/// and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("ligne {row} : {problem}")]
pub struct RatesError {
    /// The row, counting the header as row 1.
    pub row: usize,
    /// What is wrong.
    pub problem: RatesProblem,
}

/// What is wrong with a row of a rate table.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RatesProblem {
    /// Not a CSV row.
    #[error("{0}")]
    Csv(String),
    /// The first column is not `YYYY-S1` or `YYYY-S2`.
    #[error("semestre « {0} » ; attendu : AAAA-S1 ou AAAA-S2, p. ex. 2026-S1")]
    Semester(String),
    /// The year of the semester is not a number.
    #[error("année illisible dans « {0} » ; attendu : AAAA-S1 ou AAAA-S2")]
    Year(String),
    /// The semester ends in something else than S1 or S2.
    #[error("semestre « {0} » ; attendu : un semestre terminé par S1 ou S2")]
    Half(String),
    /// A rate column that is not a number.
    #[error("{column} « {found} » n'est pas un taux ; attendu : un pourcentage entre 0 et 100, p. ex. 2.15")]
    NotANumber {
        /// The column's name.
        column: &'static str,
        /// What it holds.
        found: String,
    },
    /// Two rows for one semester.
    #[error("le semestre {0} figure deux fois")]
    Twice(Semester),
    /// A required column is missing from the header.
    #[error(
        "colonne {0} absente de l'en-tête ; attendu : semester,ecb_mro,ecb_since,legal_particulier,legal_other,legal_arrete"
    )]
    Column(&'static str),
    /// A date column that is not a date.
    #[error("{column} « {found} » n'est pas une date ; attendu : AAAA-MM-JJ")]
    Date {
        /// The column's name.
        column: &'static str,
        /// What it holds.
        found: String,
    },
}

impl RateTable {
    /// The table shipped with relance.
    pub fn builtin() -> RateTable {
        RateTable::parse(RATES_CSV, &format!("la table intégrée à relance ({RATES_FILE})"))
            .expect("data/rates.csv is checked by the test suite")
    }

    /// Reads a rate table laid out like `data/rates.csv`.
    /// `name` says where it comes from, in messages.
    pub fn parse(text: &str, name: &str) -> Result<RateTable, RatesError> {
        let mut reader = csv::ReaderBuilder::new().comment(Some(b'#')).from_reader(text.as_bytes());
        let headers =
            reader.headers().map_err(|e| RatesError { row: 1, problem: RatesProblem::Csv(e.to_string()) })?.clone();
        let column = |name: &str| headers.iter().position(|h| h.trim() == name);
        let required =
            |name: &'static str| column(name).ok_or(RatesError { row: 1, problem: RatesProblem::Column(name) });
        let (c_semester, c_ecb, c_part, c_other) =
            (required("semester")?, required("ecb_mro")?, required("legal_particulier")?, required("legal_other")?);
        // `source` is the single column of tables made before relance 0.2.
        let (c_since, c_arrete) = (column("ecb_since"), column("legal_arrete").or_else(|| column("source")));
        let mut rows = BTreeMap::new();
        for (i, record) in reader.records().enumerate() {
            let line = i + 2;
            let err = |problem: RatesProblem| RatesError { row: line, problem };
            let r = record.map_err(|e| err(RatesProblem::Csv(e.to_string())))?;
            let field = |n: usize| r.get(n).unwrap_or("").trim();
            let semester = {
                let s = field(c_semester);
                let (y, h) = s.split_once("-S").ok_or_else(|| err(RatesProblem::Semester(s.to_string())))?;
                Semester {
                    year: y.parse().map_err(|_| err(RatesProblem::Year(s.to_string())))?,
                    half: match h {
                        "1" => 1,
                        "2" => 2,
                        _ => return Err(err(RatesProblem::Half(s.to_string()))),
                    },
                }
            };
            let dec = |n: usize, column: &'static str| {
                Decimal::from_str(field(n))
                    .ok()
                    .filter(|v| *v >= Decimal::ZERO && *v < Decimal::from(100))
                    .ok_or_else(|| err(RatesProblem::NotANumber { column, found: field(n).to_string() }))
            };
            let ecb_since = match c_since.map(field).filter(|t| !t.is_empty()) {
                None => None,
                Some(t) => Some(
                    NaiveDate::parse_from_str(t, "%Y-%m-%d")
                        .map_err(|_| err(RatesProblem::Date { column: "ecb_since", found: t.to_string() }))?,
                ),
            };
            let row = SemesterRates {
                semester,
                ecb_mro: dec(c_ecb, "ecb_mro")?,
                legal_particulier: dec(c_part, "legal_particulier")?,
                legal_other: dec(c_other, "legal_other")?,
                ecb_since,
                legal_arrete: c_arrete.map(field).unwrap_or("").to_string(),
            };
            if rows.insert(semester, row).is_some() {
                return Err(err(RatesProblem::Twice(semester)));
            }
        }
        Ok(RateTable { rows, name: name.into() })
    }

    /// The rates of a semester, or which row is missing.
    pub fn get(&self, semester: Semester) -> Result<&SemesterRates, MissingSemester> {
        self.rows.get(&semester).ok_or_else(|| MissingSemester {
            semester,
            table: self.name.clone(),
            first_day: semester.first_day(),
        })
    }

    /// Every row, oldest first.
    pub fn rows(&self) -> impl Iterator<Item = &SemesterRates> {
        self.rows.values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_table_is_complete_from_2019_to_2026_s1() {
        let t = RateTable::builtin();
        let mut s = Semester { year: 2019, half: 1 };
        while s <= (Semester { year: 2026, half: 1 }) {
            assert!(t.get(s).is_ok(), "{s}");
            s = s.next();
        }
        let d = |s: &str| Decimal::from_str(s).unwrap();
        // the published figures (docs/rules.md).
        assert_eq!(t.get(Semester { year: 2024, half: 1 }).unwrap().default_penalty_rate(), d("14.50"));
        assert_eq!(t.get(Semester { year: 2025, half: 2 }).unwrap().default_penalty_rate(), d("12.15"));
        assert_eq!(t.get(Semester { year: 2026, half: 1 }).unwrap().legal_other, d("2.62"));
        assert_eq!(t.get(Semester { year: 2026, half: 1 }).unwrap().legal_particulier, d("6.67"));
    }

    #[test]
    fn missing_semester_names_the_file() {
        let err = RateTable::builtin().get(Semester { year: 2030, half: 2 }).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("2030-S2") && msg.contains("data/rates.csv") && msg.contains("2030-07-01"), "{msg}");
        assert!(msg.contains("rates: dans relance.yaml") && msg.contains("Journal officiel"), "{msg}");
    }

    #[test]
    fn semesters() {
        let d = NaiveDate::from_ymd_opt(2026, 6, 30).unwrap();
        assert_eq!(Semester::of(d).to_string(), "2026-S1");
        assert_eq!(Semester::of(d).last_day(), d);
        assert_eq!(Semester::of(d).next().first_day(), NaiveDate::from_ymd_opt(2026, 7, 1).unwrap());
        assert_eq!(Semester { year: 2026, half: 2 }.next().to_string(), "2027-S1");
    }
}
