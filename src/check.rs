//! `relance check`: proof that every level's template still carries the
//! mandatory mentions of `requirements.yaml` (docs/rules.md).
//!
//! Two checks, because each catches what the other cannot:
//! - static: the template's syntax tree (through extends, blocks and
//!   includes) prints each required variable, and not only inside an
//!   `{% if %}` that could hide it;
//! - rendered: each template is rendered and typeset for every example case
//!   of its kind, the PDF's text is read back, and each required value and
//!   word is found in it.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::Path;

use chrono::NaiveDate;
use minijinja::machinery::{WhitespaceConfig, ast, parse};
use minijinja::syntax::SyntaxConfig;
use serde::{Deserialize, Serialize};

use crate::case::{InputError, Level, LoadedCase};
use crate::escalation::LetterDue;
use crate::letter::Letter;
use crate::templates::{TemplateSet, template_name};
use crate::{Session, SetupError};

/// The requirements file inside a template folder.
pub const REQUIREMENTS_FILE: &str = "requirements.yaml";

/// The mentions a template folder must carry (`requirements.yaml`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Requirements {
    /// Every mandatory mention.
    pub mentions: Vec<Mention>,
}

/// Which debtors a mention applies to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Debtors {
    /// Every debtor.
    #[default]
    All,
    /// Professionals only.
    B2b,
    /// Consumers only.
    B2c,
}

/// A required word, or a list of words any one of which will do.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Words {
    /// This word.
    One(String),
    /// Any of these words.
    AnyOf(Vec<String>),
}

impl Words {
    fn options(&self) -> Vec<&str> {
        match self {
            Words::One(w) => vec![w.as_str()],
            Words::AnyOf(ws) => ws.iter().map(String::as_str).collect(),
        }
    }
}

/// One mandatory mention.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mention {
    /// Its name, unique.
    pub id: String,
    /// Why it is required (the legal source), printed with a finding.
    pub why: String,
    /// Levels it applies to, or `all`.
    pub levels: Vec<String>,
    /// Debtors it applies to.
    #[serde(default)]
    pub debtors: Debtors,
    /// Template variables that must be printed.
    #[serde(default)]
    pub variables: Vec<String>,
    /// Words that must be in the text.
    #[serde(default)]
    pub words: Vec<Words>,
    /// Variables whose `{% if %}` may hide the mention.
    #[serde(default)]
    pub when: Vec<String>,
}

impl Mention {
    /// Whether the mention applies to the document `name` (a level's name,
    /// or one of [`crate::contentieux::DOCUMENTS`]); `all` means every
    /// letter, not the court documents.
    fn applies(&self, name: &str) -> bool {
        let letter = Level::parse(name).is_some();
        self.levels.iter().any(|l| (l == "all" && letter) || l == name)
    }

    fn applies_to_debtor(&self, b2b: bool) -> bool {
        match self.debtors {
            Debtors::All => true,
            Debtors::B2b => b2b,
            Debtors::B2c => !b2b,
        }
    }
}

/// One missing mention.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Finding {
    /// The template at fault.
    pub template: String,
    /// Its line (1 when the finding is about the rendered letter).
    pub line: usize,
    /// The level checked.
    pub level: String,
    /// The mention missing.
    pub mention: String,
    /// `static` or `rendered`.
    pub check: &'static str,
    /// What is missing, and why it is required.
    pub why: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}:{}: {}: missing {} ({})", self.template, self.line, self.level, self.mention, self.why)
    }
}

/// Reads and checks `requirements.yaml` of a template set.
pub fn load_requirements(templates: &TemplateSet) -> Result<Requirements, InputError> {
    let path = templates.root.join(REQUIREMENTS_FILE);
    let text = templates
        .text(REQUIREMENTS_FILE)
        .ok_or_else(|| InputError::new(&path, "missing: the list of mandatory mentions checked by relance check"))?;
    let req: Requirements = crate::case::parse_yaml(&path, text)?;
    let mut seen = std::collections::HashSet::new();
    for m in &req.mentions {
        if !seen.insert(m.id.as_str()) {
            return Err(InputError::new(&path, format!("mention id \"{}\" appears twice; ids must be unique", m.id)));
        }
        for l in &m.levels {
            let document = crate::contentieux::DOCUMENTS.iter().any(|(d, _)| d == l);
            if l != "all" && Level::parse(l).is_none() && !document {
                return Err(InputError::new(
                    &path,
                    format!(
                        "mention \"{}\": level \"{l}\" is not one of all, courtoisie, amicale, formelle, avertissement, mise-en-demeure, echeancier, requete-injonction, saisine-commissaire",
                        m.id
                    ),
                ));
            }
        }
    }
    Ok(req)
}

// ---------------------------------------------------------------- static ---

/// Where something is in the templates.
#[derive(Debug, Clone, PartialEq)]
struct Place {
    template: String,
    line: usize,
}

/// Whether rendering a piece of template always prints the target.
#[derive(Debug, Clone, PartialEq)]
enum Coverage {
    /// Always printed (given the allowed conditions); where first.
    Yes(Place),
    /// Printed only under a condition that may be false.
    Hidden {
        guard: Place,
        condition: String,
    },
    No,
}

impl Coverage {
    fn or(self, other: Coverage) -> Coverage {
        match (self, other) {
            (Coverage::Yes(p), _) | (_, Coverage::Yes(p)) => Coverage::Yes(p),
            (h @ Coverage::Hidden { .. }, _) | (_, h @ Coverage::Hidden { .. }) => h,
            _ => Coverage::No,
        }
    }
}

/// What is looked for: a variable path or a word of the raw text.
enum Target<'t> {
    Var(&'t str),
    Word(&'t str),
}

struct Walker<'s> {
    set: &'s TemplateSet,
    /// Variables whose `{% if %}` may hide the target.
    allowed: Vec<String>,
    /// Blocks of the child templates, by name: (template, body).
    blocks: HashMap<String, (String, &'s [ast::Stmt<'s>])>,
    depth: usize,
}

/// Parsed templates, kept alive while walking.
struct Parsed<'s> {
    trees: BTreeMap<String, ast::Stmt<'s>>,
    errors: Vec<Finding>,
}

fn parse_all(set: &TemplateSet) -> Parsed<'_> {
    let mut trees = BTreeMap::new();
    let mut errors = Vec::new();
    for name in set.files.keys().filter(|n| n.ends_with(".j2")) {
        let Some(text) = set.text(name) else { continue };
        match parse(text, name, SyntaxConfig, WhitespaceConfig::default()) {
            Ok(tree) => {
                trees.insert(name.clone(), tree);
            }
            Err(e) => {
                let e = crate::render::RenderError::from(e).locate_syntax(Some(text));
                errors.push(Finding {
                    template: name.clone(),
                    line: e.line.unwrap_or(1),
                    level: "all".into(),
                    mention: "valid-template".into(),
                    check: "static",
                    why: e.to_string(),
                })
            }
        }
    }
    Parsed { trees, errors }
}

fn body<'a>(stmt: &'a ast::Stmt<'a>) -> Vec<&'a ast::Stmt<'a>> {
    match stmt {
        ast::Stmt::Template(t) => t.children.iter().collect(),
        other => vec![other],
    }
}

/// The dotted path of a variable expression, with loop variables and simple
/// `set` aliases resolved (`inv.number` inside `for inv in invoices` is
/// `invoices[].number`).
fn path_of(expr: &ast::Expr<'_>, scope: &HashMap<String, String>) -> Option<String> {
    match expr {
        ast::Expr::Var(v) => Some(scope.get(v.id).cloned().unwrap_or_else(|| v.id.to_string())),
        ast::Expr::GetAttr(g) => Some(format!("{}.{}", path_of(&g.expr, scope)?, g.name)),
        ast::Expr::GetItem(g) => match &g.subscript_expr {
            ast::Expr::Const(c) => {
                c.value.as_str().map(|k| format!("{}.{k}", path_of(&g.expr, scope).unwrap_or_default()))
            }
            _ => None,
        },
        _ => None,
    }
}

/// Every variable path an expression reads.
fn paths_in(expr: &ast::Expr<'_>, scope: &HashMap<String, String>, out: &mut Vec<String>) {
    if let Some(p) = path_of(expr, scope) {
        out.push(p);
    }
    let args = |args: &[ast::CallArg<'_>], out: &mut Vec<String>| {
        for a in args {
            match a {
                ast::CallArg::Pos(e)
                | ast::CallArg::Kwarg(_, e)
                | ast::CallArg::PosSplat(e)
                | ast::CallArg::KwargSplat(e) => paths_in(e, scope, out),
            }
        }
    };
    match expr {
        ast::Expr::Var(_) | ast::Expr::Const(_) => {}
        ast::Expr::GetAttr(g) => paths_in(&g.expr, scope, out),
        ast::Expr::GetItem(g) => {
            paths_in(&g.expr, scope, out);
            paths_in(&g.subscript_expr, scope, out);
        }
        ast::Expr::Slice(s) => paths_in(&s.expr, scope, out),
        ast::Expr::UnaryOp(u) => paths_in(&u.expr, scope, out),
        ast::Expr::BinOp(b) => {
            paths_in(&b.left, scope, out);
            paths_in(&b.right, scope, out);
        }
        ast::Expr::Compare(c) => {
            paths_in(&c.expr, scope, out);
            for op in &c.ops {
                paths_in(&op.expr, scope, out);
            }
        }
        ast::Expr::IfExpr(i) => {
            paths_in(&i.test_expr, scope, out);
            paths_in(&i.true_expr, scope, out);
            if let Some(f) = &i.false_expr {
                paths_in(f, scope, out);
            }
        }
        ast::Expr::Filter(f) => {
            if let Some(e) = &f.expr {
                paths_in(e, scope, out);
            }
            args(&f.args, out);
        }
        ast::Expr::Test(t) => {
            paths_in(&t.expr, scope, out);
            args(&t.args, out);
        }
        ast::Expr::Call(c) => {
            paths_in(&c.expr, scope, out);
            args(&c.args, out);
        }
        ast::Expr::List(l) => l.items.iter().for_each(|e| paths_in(e, scope, out)),
        ast::Expr::Map(m) => m.keys.iter().chain(m.values.iter()).for_each(|e| paths_in(e, scope, out)),
    }
}

/// The truth of a condition made of constants only (`{% if false %}`).
fn constant(expr: &ast::Expr<'_>) -> Option<bool> {
    match expr {
        ast::Expr::Const(c) => Some(c.value.is_true()),
        ast::Expr::UnaryOp(u) if matches!(u.op, ast::UnaryOpKind::Not) => constant(&u.expr).map(|b| !b),
        ast::Expr::BinOp(b) => {
            let (l, r) = (constant(&b.left), constant(&b.right));
            match b.op {
                ast::BinOpKind::ScAnd => match (l, r) {
                    (Some(false), _) | (_, Some(false)) => Some(false),
                    (Some(true), Some(true)) => Some(true),
                    _ => None,
                },
                ast::BinOpKind::ScOr => match (l, r) {
                    (Some(true), _) | (_, Some(true)) => Some(true),
                    (Some(false), Some(false)) => Some(false),
                    _ => None,
                },
                _ => None,
            }
        }
        _ => None,
    }
}

fn condition_text(set: &TemplateSet, template: &str, expr: &ast::Expr<'_>) -> String {
    let span = expr.span();
    set.text(template)
        .and_then(|t| t.get(span.start_offset as usize..span.end_offset as usize))
        .map(|s| s.to_string())
        .unwrap_or_else(|| "…".to_string())
}

impl<'s> Walker<'s> {
    fn place(template: &str, line: u16) -> Place {
        Place { template: template.to_string(), line: usize::from(line) }
    }

    fn seq(
        &mut self,
        parsed: &'s Parsed<'s>,
        template: &str,
        stmts: &[&'s ast::Stmt<'s>],
        scope: &mut HashMap<String, String>,
        target: &Target,
    ) -> Coverage {
        let mut result = Coverage::No;
        for stmt in stmts {
            let c = self.stmt(parsed, template, stmt, scope, target);
            result = result.or(c);
            if matches!(result, Coverage::Yes(_)) {
                return result;
            }
        }
        result
    }

    fn stmt(
        &mut self,
        parsed: &'s Parsed<'s>,
        template: &str,
        stmt: &'s ast::Stmt<'s>,
        scope: &mut HashMap<String, String>,
        target: &Target,
    ) -> Coverage {
        if self.depth > 32 {
            return Coverage::No; // include cycle
        }
        match stmt {
            ast::Stmt::Template(t) => {
                let children: Vec<_> = t.children.iter().collect();
                self.seq(parsed, template, &children, scope, target)
            }
            ast::Stmt::EmitExpr(e) => match target {
                Target::Var(want) => {
                    let mut paths = Vec::new();
                    paths_in(&e.expr, scope, &mut paths);
                    if paths.iter().any(|p| p == want) {
                        Coverage::Yes(Self::place(template, e.span().start_line))
                    } else {
                        Coverage::No
                    }
                }
                Target::Word(_) => Coverage::No,
            },
            ast::Stmt::EmitRaw(r) => match target {
                Target::Word(w) if fold(r.raw).contains(&fold(w)) => {
                    Coverage::Yes(Self::place(template, r.span().start_line))
                }
                _ => Coverage::No,
            },
            ast::Stmt::IfCond(i) => {
                let t: Vec<_> = i.true_body.iter().collect();
                let f: Vec<_> = i.false_body.iter().collect();
                let yes = self.seq(parsed, template, &t, &mut scope.clone(), target);
                let no = self.seq(parsed, template, &f, &mut scope.clone(), target);
                let hidden_here = || Coverage::Hidden {
                    guard: Self::place(template, i.span().start_line),
                    condition: condition_text(self.set, template, &i.expr),
                };
                let allowed = match constant(&i.expr) {
                    Some(true) => return yes,
                    // Never printed: say which `if` hides it.
                    Some(false) => return if matches!(yes, Coverage::No) { no } else { no.or(hidden_here()) },
                    None => {
                        let mut vars = Vec::new();
                        paths_in(&i.expr, scope, &mut vars);
                        vars.iter().all(|v| {
                            let target_var = match target {
                                Target::Var(t) => Some(*t),
                                Target::Word(_) => None,
                            };
                            v.starts_with("loop.")
                                || v == "loop"
                                || target_var.is_some_and(|t| t == v || t.starts_with(&format!("{v}.")))
                                || self.allowed.iter().any(|a| a == v || a.starts_with(&format!("{v}.")))
                        })
                    }
                };
                if allowed {
                    return yes.or(no);
                }
                match (yes, no) {
                    (Coverage::Yes(p), Coverage::Yes(_)) => Coverage::Yes(p),
                    (Coverage::No, Coverage::No) => Coverage::No,
                    // Hidden deeper down: report the innermost `if`.
                    (h @ Coverage::Hidden { .. }, Coverage::No) | (Coverage::No, h @ Coverage::Hidden { .. }) => h,
                    _ => hidden_here(),
                }
            }
            ast::Stmt::ForLoop(l) => {
                let mut inner = scope.clone();
                if let (ast::Expr::Var(v), Some(iter)) = (&l.target, path_of(&l.iter, scope)) {
                    inner.insert(v.id.to_string(), format!("{iter}[]"));
                }
                let b: Vec<_> = l.body.iter().collect();
                self.seq(parsed, template, &b, &mut inner, target)
            }
            ast::Stmt::WithBlock(w) => {
                let b: Vec<_> = w.body.iter().collect();
                self.seq(parsed, template, &b, &mut scope.clone(), target)
            }
            ast::Stmt::Set(s) => {
                if let (ast::Expr::Var(v), Some(p)) = (&s.target, path_of(&s.expr, scope)) {
                    scope.insert(v.id.to_string(), p);
                }
                Coverage::No
            }
            ast::Stmt::SetBlock(_) => Coverage::No,
            ast::Stmt::AutoEscape(a) => {
                let b: Vec<_> = a.body.iter().collect();
                self.seq(parsed, template, &b, scope, target)
            }
            ast::Stmt::FilterBlock(f) => {
                let b: Vec<_> = f.body.iter().collect();
                self.seq(parsed, template, &b, scope, target)
            }
            ast::Stmt::Block(b) => {
                let (tpl, stmts) = match self.blocks.get(b.name) {
                    Some((tpl, stmts)) => (tpl.clone(), *stmts),
                    None => (template.to_string(), &b.body[..]),
                };
                let stmts: Vec<_> = stmts.iter().collect();
                self.seq(parsed, &tpl, &stmts, scope, target)
            }
            ast::Stmt::Include(inc) => {
                let ast::Expr::Const(c) = &inc.name else { return Coverage::No };
                let Some(name) = c.value.as_str() else { return Coverage::No };
                let Some(tree) = parsed.trees.get(name) else { return Coverage::No };
                self.depth += 1;
                let stmts = body(tree);
                let c = self.seq(parsed, name, &stmts, scope, target);
                self.depth -= 1;
                c
            }
            _ => Coverage::No,
        }
    }

    /// Coverage of `target` by the template `template`, following `extends`.
    fn level(&mut self, parsed: &'s Parsed<'s>, template: &str, target: &Target) -> Coverage {
        let mut name = template.to_string();
        self.blocks.clear();
        // Walk up the extends chain, collecting block overrides (child first).
        for _ in 0..8 {
            let Some(tree) = parsed.trees.get(&name) else { return Coverage::No };
            let stmts = body(tree);
            let parent = stmts.iter().find_map(|s| match s {
                ast::Stmt::Extends(e) => match &e.name {
                    ast::Expr::Const(c) => c.value.as_str().map(str::to_string),
                    _ => None,
                },
                _ => None,
            });
            for s in &stmts {
                if let ast::Stmt::Block(b) = s {
                    self.blocks.entry(b.name.to_string()).or_insert((name.clone(), &b.body[..]));
                }
            }
            match parent {
                Some(p) => name = p,
                None => {
                    let mut scope = HashMap::new();
                    return self.seq(parsed, &name, &stmts, &mut scope, target);
                }
            }
        }
        Coverage::No
    }
}

/// Text as compared: lower case, typographic apostrophes made straight,
/// every run of white space (no-break spaces included) made one space.
pub fn fold(text: &str) -> String {
    text.to_lowercase()
        .replace(['’', 'ʼ'], "'")
        .split(|c: char| c.is_whitespace() || c == '\u{202F}' || c == '\u{A0}')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Every document checked: each letter level's name and template, then
/// the documents of the contentieux.
fn documents() -> Vec<(String, String)> {
    Level::LETTERS
        .iter()
        .map(|l| (l.as_str().to_string(), template_name(*l)))
        .chain(crate::contentieux::DOCUMENTS.iter().map(|(n, t)| (n.to_string(), t.to_string())))
        .collect()
}

/// Static findings for every level.
pub fn check_static(set: &TemplateSet, req: &Requirements) -> Vec<Finding> {
    let parsed = parse_all(set);
    let mut findings = parsed.errors.clone();
    for (level, level_template) in documents() {
        if !parsed.trees.contains_key(&level_template) {
            continue;
        }
        for m in req.mentions.iter().filter(|m| m.applies(&level)) {
            let mut allowed = m.when.clone();
            if m.debtors != Debtors::All {
                allowed.push("b2b".to_string());
            }
            let mut walker = Walker { set, allowed, blocks: HashMap::new(), depth: 0 };
            let mut report = |c: Coverage, what: String| match c {
                Coverage::Yes(_) => {}
                Coverage::No => findings.push(Finding {
                    template: level_template.clone(),
                    line: 1,
                    level: level.clone(),
                    mention: m.id.clone(),
                    check: "static",
                    why: format!("{what} is not in the template; {}", m.why),
                }),
                Coverage::Hidden { guard, condition } => findings.push(Finding {
                    template: guard.template,
                    line: guard.line,
                    level: level.clone(),
                    mention: m.id.clone(),
                    check: "static",
                    why: format!("{what} is only printed inside {{% if {condition} %}}, which can hide it; {}", m.why),
                }),
            };
            for v in &m.variables {
                let c = walker.level(&parsed, &level_template, &Target::Var(v));
                report(c, format!("{{{{ {v} }}}}"));
            }
            for w in &m.words {
                let options = w.options();
                let c = options
                    .iter()
                    .map(|o| walker.level(&parsed, &level_template, &Target::Word(o)))
                    .fold(Coverage::No, Coverage::or);
                // A word may also come from the Typst layout files.
                let in_layout = || {
                    set.files.iter().filter(|(n, _)| n.ends_with(".typ")).any(|(_, b)| {
                        let text = fold(&String::from_utf8_lossy(b));
                        options.iter().any(|o| text.contains(&fold(o)))
                    })
                };
                if matches!(c, Coverage::No) && in_layout() {
                    continue;
                }
                report(c, format!("\"{}\"", options.join("\" or \"")));
            }
        }
    }
    findings
}

// -------------------------------------------------------------- rendered ---

/// The values at a path of the letter context (`invoices[].number` → every
/// invoice's number); empty optional values are left out.
fn values_at(ctx: &serde_json::Value, path: &str) -> Vec<String> {
    let mut current = vec![ctx];
    for seg in path.split('.') {
        let (key, each) = match seg.strip_suffix("[]") {
            Some(k) => (k, true),
            None => (seg, false),
        };
        let mut next = Vec::new();
        for v in current {
            let Some(child) = v.get(key) else { continue };
            if each {
                if let Some(items) = child.as_array() {
                    next.extend(items.iter());
                }
            } else {
                next.push(child);
            }
        }
        current = next;
    }
    current
        .into_iter()
        .filter_map(|v| match v {
            serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
        .collect()
}

/// A plan to render the échéancier letter of a case that has none: the
/// balance in two monthly installments.
fn example_plan(case: &crate::case::Case, date: NaiveDate) -> crate::case::Echeancier {
    let owed: rust_decimal::Decimal = case.invoices.iter().map(|i| i.amount.0).sum();
    let half = (owed / rust_decimal::Decimal::TWO).round_dp(2);
    let day = |n: u64| crate::case::Date(date + chrono::Days::new(n));
    crate::case::Echeancier {
        date: crate::case::Date(date),
        installments: vec![
            crate::case::Installment { date: day(15), amount: crate::case::Amount(half) },
            crate::case::Installment { date: day(45), amount: crate::case::Amount(owed - half) },
        ],
    }
}

/// Renders every level for every example case of the right kind and looks
/// for each required value and word in the PDF text.
pub fn check_rendered(session: &Session, req: &Requirements, cases: &[LoadedCase], date: NaiveDate) -> Vec<Finding> {
    let mut findings: Vec<Finding> = Vec::new();
    let mut world = session.world();
    for level in Level::LETTERS {
        let template = template_name(level);
        if session.templates.text(&template).is_none() {
            continue; // an optional level this template folder does not have
        }
        for loaded in cases {
            let mut case = loaded.case.clone();
            if level == Level::Echeancier && case.echeancier.is_none() {
                case.echeancier = Some(example_plan(&case, date));
            }
            let case = &case;
            let Ok(owed) = crate::law::statement(case, &session.config.terms, &session.rates, date) else { continue };
            if owed.principal.is_zero() {
                continue;
            }
            let b2b = owed.b2b;
            let deadline_days = 8;
            let due = LetterDue {
                level,
                channel: if level == Level::MiseEnDemeure {
                    crate::case::Channel::Lrar
                } else {
                    crate::case::Channel::Courrier
                },
                channel_note: None,
                deadline: date + chrono::Days::new(deadline_days),
                deadline_days: deadline_days as u32,
            };
            let letter = Letter { case, owed: &owed, due: &due, date };
            let ctx = crate::letter::context(&session.config, &letter);
            let ctx_json = serde_json::to_value(&ctx).expect("context serializes");
            let text = match crate::letter::build(session, &mut world, &letter, false) {
                Ok(built) => match pdf_extract::extract_text_from_mem(&built.pdf) {
                    Ok(t) => fold(&t),
                    Err(e) => {
                        findings.push(Finding {
                            template: template.clone(),
                            line: 1,
                            level: level.as_str().into(),
                            mention: "readable-pdf".into(),
                            check: "rendered",
                            why: format!("rendered for {}: the PDF's text cannot be read back: {e}", case.id),
                        });
                        continue;
                    }
                },
                Err(e) => {
                    findings.push(Finding {
                        template: template.clone(),
                        line: 1,
                        level: level.as_str().into(),
                        mention: "template-renders".into(),
                        check: "rendered",
                        why: format!("rendered for {}: {e}", case.id),
                    });
                    continue;
                }
            };
            for (mention, what) in missing_mentions(req, level.as_str(), b2b, &ctx_json, &text) {
                findings.push(Finding {
                    template: template.clone(),
                    line: 1,
                    level: level.as_str().into(),
                    mention: mention.id.clone(),
                    check: "rendered",
                    why: format!("rendered for {}: {what} is not in the PDF's text; {}", case.id, mention.why),
                });
            }
        }
    }
    findings.extend(check_court_documents(session, req, cases, date, &mut world));
    // One finding per level and mention: the first case that shows it.
    let mut seen = std::collections::HashSet::new();
    findings.retain(|f| seen.insert((f.level.clone(), f.mention.clone(), f.check)));
    findings
}

/// The mentions of `req` for the document `name` that the text of a
/// rendering lacks, with what is missing.
fn missing_mentions<'r>(
    req: &'r Requirements,
    name: &str,
    b2b: bool,
    ctx: &serde_json::Value,
    text: &str,
) -> Vec<(&'r Mention, String)> {
    let mut out = Vec::new();
    for m in req.mentions.iter().filter(|m| m.applies(name) && m.applies_to_debtor(b2b)) {
        let mut missing: Option<String> = None;
        for v in &m.variables {
            if let Some(value) = values_at(ctx, v).into_iter().find(|val| !text.contains(&fold(val))) {
                missing = Some(format!("{{{{ {v} }}}} = \"{value}\""));
                break;
            }
        }
        if missing.is_none() {
            for w in &m.words {
                let options = w.options();
                if !options.iter().any(|o| text.contains(&fold(o))) {
                    missing = Some(format!("\"{}\"", options.join("\" or \"")));
                    break;
                }
            }
        }
        if let Some(what) = missing {
            out.push((m, what));
        }
    }
    out
}

/// Renders the requête and the commissaire's hand-off for every example
/// case that owes something, as if its mise en demeure had gone unanswered,
/// and looks for each required value and word in the PDF's text.
fn check_court_documents(
    session: &Session,
    req: &Requirements,
    cases: &[LoadedCase],
    date: NaiveDate,
    world: &mut crate::typeset::LetterWorld,
) -> Vec<Finding> {
    use crate::contentieux::{self, Route};
    let mut findings = Vec::new();
    for (name, template) in contentieux::DOCUMENTS {
        if session.templates.text(template).is_none() {
            continue;
        }
        let route = if template == contentieux::SAISINE { Route::Commissaire } else { Route::Injonction };
        for loaded in cases {
            let Some((planned, ready)) = contentieux::example(session, loaded, date, route) else { continue };
            let b2b = loaded.case.debtor.is_b2b();
            let finding = |mention: String, why: String| Finding {
                template: template.to_string(),
                line: 1,
                level: name.to_string(),
                mention,
                check: "rendered",
                why,
            };
            let pieces = contentieux::listed_pieces(&planned);
            let ctx = contentieux::context_json(session, &planned, &ready, &pieces);
            let text = match contentieux::build(session, world, &planned, &ready, &pieces, vec![], false) {
                Ok((main, _)) => match pdf_extract::extract_text_from_mem(&main.pdf) {
                    Ok(t) => fold(&t),
                    Err(e) => {
                        findings.push(finding(
                            "readable-pdf".into(),
                            format!("rendered for {}: the PDF's text cannot be read back: {e}", loaded.case.id),
                        ));
                        continue;
                    }
                },
                Err(e) => {
                    findings.push(finding("template-renders".into(), format!("rendered for {}: {e}", loaded.case.id)));
                    continue;
                }
            };
            for (m, what) in missing_mentions(req, name, b2b, &ctx, &text) {
                findings.push(finding(
                    m.id.clone(),
                    format!("rendered for {}: {what} is not in the PDF's text; {}", loaded.case.id, m.why),
                ));
            }
        }
    }
    findings
}

/// Both checks; static findings first, then rendered ones not already
/// explained by a static finding for the same level and mention.
pub fn check(session: &Session, cases: &[LoadedCase], date: NaiveDate) -> Result<Vec<Finding>, InputError> {
    let mut findings = check_set(session, cases, date)?;
    // Every profile's own template folder, with the same requirements.
    for name in session.profile_templates.keys() {
        let Some(profile) = session.for_profile(name) else { continue };
        let root = profile.templates.root.display().to_string();
        for mut f in check_set(&profile, cases, date)? {
            f.template = format!("{root}/{}", f.template);
            findings.push(f);
        }
    }
    Ok(findings)
}

/// [`check`] of the session's own template folder.
fn check_set(session: &Session, cases: &[LoadedCase], date: NaiveDate) -> Result<Vec<Finding>, InputError> {
    let req = load_requirements(&session.templates)?;
    let mut findings = check_static(&session.templates, &req);
    let rendered = check_rendered(session, &req, cases, date);
    for r in rendered {
        if !findings.iter().any(|f| f.level == r.level && f.mention == r.mention) {
            findings.push(r);
        }
    }
    Ok(findings)
}

/// The example cases built into relance (fixtures/cases), for checking a
/// template folder without cases of one's own.
pub fn builtin_cases() -> (Vec<LoadedCase>, Vec<InputError>) {
    static FIXTURES: include_dir::Dir<'static> = include_dir::include_dir!("$CARGO_MANIFEST_DIR/fixtures/cases");
    let mut loaded = Vec::new();
    let mut errors = Vec::new();
    let is_case = |f: &&include_dir::File| {
        f.path() != Path::new("relance.yaml") && f.path().extension().is_some_and(|x| x == "yaml" || x == "yml")
    };
    let mut files: Vec<_> = FIXTURES.files().filter(is_case).collect();
    files.sort_by_key(|f| f.path());
    for f in files {
        let path = Path::new("fixtures/cases").join(f.path());
        match f
            .contents_utf8()
            .ok_or_else(|| InputError::new(&path, "not UTF-8"))
            .and_then(|t| crate::case::parse_case(&path, t))
        {
            Ok(case) => loaded.push(LoadedCase { path, case }),
            Err(e) => errors.push(e),
        }
    }
    (loaded, errors)
}

/// What `relance check` renders with: the templates to check, the config
/// and the cases (given, or the examples built into relance).
pub fn open(
    templates: Option<&Path>,
    cases: Option<&Path>,
    config: Option<&Path>,
    rates: Option<&Path>,
) -> Result<(Session, Vec<LoadedCase>), SetupError> {
    let (config, config_path) = match (config, cases) {
        (Some(path), _) => (crate::case::load_config(path)?, path.to_path_buf()),
        (None, Some(dir)) => {
            let path = crate::default_config_path(dir);
            (crate::case::load_config(&path)?, path)
        }
        (None, None) => {
            let path = std::path::PathBuf::from("fixtures/cases/relance.yaml");
            (crate::case::parse_config(&path, crate::starter::BUILTIN_CONFIG)?, path)
        }
    };
    let session = Session::with_config(config, &config_path, templates, rates)?;
    let (loaded, errors) = match cases {
        Some(dir) => crate::load_cases(dir, &config_path),
        None => builtin_cases(),
    };
    if let Some(e) = errors.into_iter().next() {
        return Err(SetupError::Config(e));
    }
    Ok((session, loaded))
}
