//! A practical XPath 1.0 subset evaluated over scraper's parsed tree.
//!
//! Real broker recipes mix CSS and XPath; this covers what they use:
//! abbreviated and explicit axes (`child`, `descendant`, `descendant-or-self`,
//! `parent`, `ancestor`, `ancestor-or-self`, `following-sibling`,
//! `preceding-sibling`, `self`, `attribute`), node tests (`*`, names,
//! `text()`, `node()`), predicates with comparisons, `and`/`or`, positions,
//! grouped `(expr)[n]`, unions and the common string functions. Element names
//! compare case-insensitively because HTML parsers lower-case them.

use std::collections::HashSet;

use ego_tree::NodeRef;
use scraper::Node;

/// A compiled XPath expression.
#[derive(Debug, Clone)]
pub struct XPath {
    expr: Expr,
}

/// One node an XPath selected: a tree node, or an attribute of an element.
#[derive(Debug, Clone, Copy)]
pub enum XNode<'a> {
    /// An element, text, comment or the document node.
    Node(NodeRef<'a, Node>),
    /// An attribute: its element, name and value.
    Attr(NodeRef<'a, Node>, &'a str, &'a str),
}

impl<'a> XNode<'a> {
    /// The XPath string-value: all descendant text for elements, the value
    /// for attributes and text nodes.
    pub fn string_value(&self) -> String {
        match self {
            XNode::Attr(_, _, v) => v.to_string(),
            XNode::Node(n) => match n.value() {
                Node::Text(t) => t.to_string(),
                Node::Comment(c) => c.to_string(),
                _ => n
                    .descendants()
                    .filter_map(|d| d.value().as_text().map(|t| t.to_string()))
                    .collect(),
            },
        }
    }

    fn key(&self) -> (ego_tree::NodeId, &'a str) {
        match self {
            XNode::Node(n) => (n.id(), ""),
            XNode::Attr(n, name, _) => (n.id(), name),
        }
    }
}

impl XPath {
    /// Parses an expression; the error says where and what was expected.
    pub fn parse(src: &str) -> Result<XPath, String> {
        let tokens = lex(src)?;
        let mut p = Parser {
            toks: tokens,
            pos: 0,
        };
        let expr = p.expr()?;
        if p.pos < p.toks.len() {
            return Err(format!(
                "unexpected {} after a complete expression",
                p.toks[p.pos].describe()
            ));
        }
        check_functions(&expr)?;
        Ok(XPath { expr })
    }

    /// Nodes the expression selects from `ctx`, in document order. An
    /// expression that yields a string or number selects nothing.
    pub fn select<'a>(&self, ctx: NodeRef<'a, Node>) -> Vec<XNode<'a>> {
        let c = Ctx {
            node: XNode::Node(ctx),
            pos: 1,
            size: 1,
        };
        match eval(&self.expr, &c) {
            Value::Nodes(n) => n,
            _ => Vec::new(),
        }
    }
}

// ---------------------------------------------------------------- lexer

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Slash,
    DSlash,
    LParen,
    RParen,
    LBracket,
    RBracket,
    Dot,
    DDot,
    At,
    Comma,
    Pipe,
    DColon,
    Star,
    Op(&'static str),
    Lit(String),
    Num(f64),
    Name(String),
}

impl Tok {
    fn describe(&self) -> String {
        match self {
            Tok::Lit(s) => format!("string '{s}'"),
            Tok::Num(n) => format!("number {n}"),
            Tok::Name(n) => format!("name `{n}`"),
            Tok::Op(o) => format!("`{o}`"),
            t => format!("`{}`", tok_text(t)),
        }
    }
}

fn tok_text(t: &Tok) -> &'static str {
    match t {
        Tok::Slash => "/",
        Tok::DSlash => "//",
        Tok::LParen => "(",
        Tok::RParen => ")",
        Tok::LBracket => "[",
        Tok::RBracket => "]",
        Tok::Dot => ".",
        Tok::DDot => "..",
        Tok::At => "@",
        Tok::Comma => ",",
        Tok::Pipe => "|",
        Tok::DColon => "::",
        Tok::Star => "*",
        _ => "?",
    }
}

fn lex(src: &str) -> Result<Vec<Tok>, String> {
    let chars: Vec<char> = src.chars().collect();
    // The parser recurses once per bracket level; cap it so a hostile or
    // broken source file cannot overflow the stack.
    let mut depth = 0usize;
    for c in &chars {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        if depth > 32 {
            return Err("brackets nest more than 32 deep".into());
        }
    }
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        match c {
            c if c.is_whitespace() => i += 1,
            '/' if next == Some('/') => {
                out.push(Tok::DSlash);
                i += 2;
            }
            '/' => {
                out.push(Tok::Slash);
                i += 1;
            }
            '(' => {
                out.push(Tok::LParen);
                i += 1;
            }
            ')' => {
                out.push(Tok::RParen);
                i += 1;
            }
            '[' => {
                out.push(Tok::LBracket);
                i += 1;
            }
            ']' => {
                out.push(Tok::RBracket);
                i += 1;
            }
            '@' => {
                out.push(Tok::At);
                i += 1;
            }
            ',' => {
                out.push(Tok::Comma);
                i += 1;
            }
            '|' => {
                out.push(Tok::Pipe);
                i += 1;
            }
            '*' => {
                out.push(Tok::Star);
                i += 1;
            }
            ':' if next == Some(':') => {
                out.push(Tok::DColon);
                i += 2;
            }
            '.' if next == Some('.') => {
                out.push(Tok::DDot);
                i += 2;
            }
            '.' if !next.is_some_and(|n| n.is_ascii_digit()) => {
                out.push(Tok::Dot);
                i += 1;
            }
            '=' => {
                out.push(Tok::Op("="));
                i += 1;
            }
            '!' if next == Some('=') => {
                out.push(Tok::Op("!="));
                i += 2;
            }
            '<' | '>' => {
                let op = match (c, next == Some('=')) {
                    ('<', true) => "<=",
                    ('<', false) => "<",
                    ('>', true) => ">=",
                    _ => ">",
                };
                i += op.len();
                out.push(Tok::Op(op));
            }
            '+' => {
                out.push(Tok::Op("+"));
                i += 1;
            }
            '-' => {
                out.push(Tok::Op("-"));
                i += 1;
            }
            '\'' | '"' => {
                let end = chars[i + 1..]
                    .iter()
                    .position(|&x| x == c)
                    .ok_or_else(|| format!("string starting at column {} is not closed", i + 1))?;
                out.push(Tok::Lit(chars[i + 1..i + 1 + end].iter().collect()));
                i += end + 2;
            }
            c if c.is_ascii_digit() || c == '.' => {
                let start = i;
                while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                    i += 1;
                }
                let s: String = chars[start..i].iter().collect();
                out.push(Tok::Num(
                    s.parse().map_err(|_| format!("{s:?} is not a number"))?,
                ));
            }
            c if c.is_alphabetic() || c == '_' => {
                let start = i;
                while i < chars.len() && (chars[i].is_alphanumeric() || "_-.".contains(chars[i])) {
                    i += 1;
                }
                // A name never ends in '-' or '.' (those are operators then).
                while i > start + 1 && matches!(chars[i - 1], '-' | '.') {
                    i -= 1;
                }
                out.push(Tok::Name(chars[start..i].iter().collect()));
            }
            other => {
                return Err(format!(
                    "unexpected character {other:?} at column {}",
                    i + 1
                ));
            }
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------- AST

#[derive(Debug, Clone, Copy, PartialEq)]
enum Axis {
    Child,
    Descendant,
    DescendantOrSelf,
    Parent,
    Ancestor,
    AncestorOrSelf,
    FollowingSibling,
    PrecedingSibling,
    Itself,
    Attribute,
}

impl Axis {
    fn from_name(n: &str) -> Option<Axis> {
        Some(match n {
            "child" => Axis::Child,
            "descendant" => Axis::Descendant,
            "descendant-or-self" => Axis::DescendantOrSelf,
            "parent" => Axis::Parent,
            "ancestor" => Axis::Ancestor,
            "ancestor-or-self" => Axis::AncestorOrSelf,
            "following-sibling" => Axis::FollowingSibling,
            "preceding-sibling" => Axis::PrecedingSibling,
            "self" => Axis::Itself,
            "attribute" => Axis::Attribute,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Test {
    Any,
    Name(String),
    Text,
    Node,
    Comment,
}

#[derive(Debug, Clone)]
struct Step {
    axis: Axis,
    test: Test,
    preds: Vec<Expr>,
}

#[derive(Debug, Clone)]
enum Start {
    Root,
    Context,
    Filter(Box<Expr>, Vec<Expr>),
}

#[derive(Debug, Clone)]
enum Expr {
    Or(Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Cmp(&'static str, Box<Expr>, Box<Expr>),
    Arith(&'static str, Box<Expr>, Box<Expr>),
    Neg(Box<Expr>),
    Union(Box<Expr>, Box<Expr>),
    Path(Start, Vec<Step>),
    Lit(String),
    Num(f64),
    Call(String, Vec<Expr>),
}

// ---------------------------------------------------------------- parser

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }
    fn peek_at(&self, n: usize) -> Option<&Tok> {
        self.toks.get(self.pos + n)
    }
    fn eat(&mut self, t: &Tok) -> bool {
        if self.peek() == Some(t) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    fn expect(&mut self, t: &Tok) -> Result<(), String> {
        if self.eat(t) {
            Ok(())
        } else {
            Err(format!(
                "expected `{}` but found {}",
                tok_text(t),
                self.found()
            ))
        }
    }
    fn found(&self) -> String {
        self.peek()
            .map(Tok::describe)
            .unwrap_or_else(|| "the end of the expression".into())
    }
    fn is_name(&self, s: &str) -> bool {
        matches!(self.peek(), Some(Tok::Name(n)) if n == s)
    }

    fn expr(&mut self) -> Result<Expr, String> {
        let mut l = self.and()?;
        while self.is_name("or") {
            self.pos += 1;
            l = Expr::Or(Box::new(l), Box::new(self.and()?));
        }
        Ok(l)
    }
    fn and(&mut self) -> Result<Expr, String> {
        let mut l = self.equality()?;
        while self.is_name("and") {
            self.pos += 1;
            l = Expr::And(Box::new(l), Box::new(self.equality()?));
        }
        Ok(l)
    }
    fn equality(&mut self) -> Result<Expr, String> {
        let mut l = self.relational()?;
        while let Some(Tok::Op(op @ ("=" | "!="))) = self.peek() {
            let op = *op;
            self.pos += 1;
            l = Expr::Cmp(op, Box::new(l), Box::new(self.relational()?));
        }
        Ok(l)
    }
    fn relational(&mut self) -> Result<Expr, String> {
        let mut l = self.additive()?;
        while let Some(Tok::Op(op @ ("<" | "<=" | ">" | ">="))) = self.peek() {
            let op = *op;
            self.pos += 1;
            l = Expr::Cmp(op, Box::new(l), Box::new(self.additive()?));
        }
        Ok(l)
    }
    fn additive(&mut self) -> Result<Expr, String> {
        let mut l = self.unary()?;
        while let Some(Tok::Op(op @ ("+" | "-"))) = self.peek() {
            let op = *op;
            self.pos += 1;
            l = Expr::Arith(op, Box::new(l), Box::new(self.unary()?));
        }
        Ok(l)
    }
    fn unary(&mut self) -> Result<Expr, String> {
        if self.eat(&Tok::Op("-")) {
            return Ok(Expr::Neg(Box::new(self.unary()?)));
        }
        let mut l = self.path()?;
        while self.eat(&Tok::Pipe) {
            l = Expr::Union(Box::new(l), Box::new(self.path()?));
        }
        Ok(l)
    }

    fn path(&mut self) -> Result<Expr, String> {
        let starts_filter = match self.peek() {
            Some(Tok::LParen | Tok::Lit(_) | Tok::Num(_)) => true,
            Some(Tok::Name(n)) => {
                self.peek_at(1) == Some(&Tok::LParen)
                    && !matches!(n.as_str(), "text" | "node" | "comment")
            }
            _ => false,
        };
        if starts_filter {
            let primary = self.primary()?;
            let preds = self.predicates()?;
            if !matches!(self.peek(), Some(Tok::Slash | Tok::DSlash)) {
                if preds.is_empty() {
                    return Ok(primary);
                }
                return Ok(Expr::Path(Start::Filter(Box::new(primary), preds), vec![]));
            }
            let mut steps = Vec::new();
            self.more_steps(&mut steps)?;
            return Ok(Expr::Path(Start::Filter(Box::new(primary), preds), steps));
        }
        let mut steps = Vec::new();
        let start = match self.peek() {
            Some(Tok::Slash) => {
                self.pos += 1;
                if self.starts_step() {
                    steps.push(self.step()?);
                }
                Start::Root
            }
            Some(Tok::DSlash) => {
                self.pos += 1;
                steps.push(desc_or_self());
                steps.push(self.step()?);
                Start::Root
            }
            _ => {
                steps.push(self.step()?);
                Start::Context
            }
        };
        self.more_steps(&mut steps)?;
        Ok(Expr::Path(start, steps))
    }

    fn more_steps(&mut self, steps: &mut Vec<Step>) -> Result<(), String> {
        loop {
            if self.eat(&Tok::Slash) {
                steps.push(self.step()?);
            } else if self.eat(&Tok::DSlash) {
                steps.push(desc_or_self());
                steps.push(self.step()?);
            } else {
                return Ok(());
            }
        }
    }

    fn starts_step(&self) -> bool {
        matches!(
            self.peek(),
            Some(Tok::Dot | Tok::DDot | Tok::At | Tok::Star | Tok::Name(_))
        )
    }

    fn step(&mut self) -> Result<Step, String> {
        if self.eat(&Tok::Dot) {
            return Ok(Step {
                axis: Axis::Itself,
                test: Test::Node,
                preds: self.predicates()?,
            });
        }
        if self.eat(&Tok::DDot) {
            return Ok(Step {
                axis: Axis::Parent,
                test: Test::Node,
                preds: self.predicates()?,
            });
        }
        let mut axis = Axis::Child;
        if self.eat(&Tok::At) {
            axis = Axis::Attribute;
        } else if let (Some(Tok::Name(n)), Some(Tok::DColon)) = (self.peek(), self.peek_at(1)) {
            axis = Axis::from_name(n).ok_or_else(|| {
                format!("axis `{n}::` is not supported; use child, descendant, parent, ancestor, following-sibling, preceding-sibling, self or attribute")
            })?;
            self.pos += 2;
        }
        let test = match self.peek().cloned() {
            Some(Tok::Star) => {
                self.pos += 1;
                Test::Any
            }
            Some(Tok::Name(n)) => {
                self.pos += 1;
                if self.peek() == Some(&Tok::LParen) {
                    self.pos += 1;
                    self.expect(&Tok::RParen)?;
                    match n.as_str() {
                        "text" => Test::Text,
                        "node" => Test::Node,
                        "comment" => Test::Comment,
                        _ => return Err(format!("`{n}()` is not a node test")),
                    }
                } else {
                    Test::Name(n.to_ascii_lowercase())
                }
            }
            _ => {
                return Err(format!(
                    "expected a step (a name, `*`, `.`, `..`, `@attr` or `text()`) but found {}",
                    self.found()
                ));
            }
        };
        Ok(Step {
            axis,
            test,
            preds: self.predicates()?,
        })
    }

    fn predicates(&mut self) -> Result<Vec<Expr>, String> {
        let mut out = Vec::new();
        while self.eat(&Tok::LBracket) {
            out.push(self.expr()?);
            self.expect(&Tok::RBracket)?;
        }
        Ok(out)
    }

    fn primary(&mut self) -> Result<Expr, String> {
        match self.peek().cloned() {
            Some(Tok::LParen) => {
                self.pos += 1;
                let e = self.expr()?;
                self.expect(&Tok::RParen)?;
                Ok(e)
            }
            Some(Tok::Lit(s)) => {
                self.pos += 1;
                Ok(Expr::Lit(s))
            }
            Some(Tok::Num(n)) => {
                self.pos += 1;
                Ok(Expr::Num(n))
            }
            Some(Tok::Name(n)) => {
                self.pos += 2; // name and '('
                let mut args = Vec::new();
                if !self.eat(&Tok::RParen) {
                    loop {
                        args.push(self.expr()?);
                        if self.eat(&Tok::RParen) {
                            break;
                        }
                        self.expect(&Tok::Comma)?;
                    }
                }
                Ok(Expr::Call(n, args))
            }
            _ => Err(format!("expected an expression but found {}", self.found())),
        }
    }
}

fn desc_or_self() -> Step {
    Step {
        axis: Axis::DescendantOrSelf,
        test: Test::Node,
        preds: Vec::new(),
    }
}

/// Functions this evaluator knows, with their allowed argument counts.
const FUNCTIONS: &[(&str, usize, usize)] = &[
    ("contains", 2, 2),
    ("starts-with", 2, 2),
    ("ends-with", 2, 2),
    ("normalize-space", 0, 1),
    ("string", 0, 1),
    ("string-length", 0, 1),
    ("concat", 2, usize::MAX),
    ("translate", 3, 3),
    ("lower-case", 1, 1),
    ("upper-case", 1, 1),
    ("substring-before", 2, 2),
    ("substring-after", 2, 2),
    ("not", 1, 1),
    ("true", 0, 0),
    ("false", 0, 0),
    ("boolean", 1, 1),
    ("number", 0, 1),
    ("count", 1, 1),
    ("position", 0, 0),
    ("last", 0, 0),
    ("name", 0, 1),
    ("local-name", 0, 1),
];

fn check_functions(e: &Expr) -> Result<(), String> {
    let check_steps = |steps: &[Step]| -> Result<(), String> {
        steps
            .iter()
            .flat_map(|s| &s.preds)
            .try_for_each(check_functions)
    };
    match e {
        Expr::Or(a, b)
        | Expr::And(a, b)
        | Expr::Cmp(_, a, b)
        | Expr::Arith(_, a, b)
        | Expr::Union(a, b) => {
            check_functions(a)?;
            check_functions(b)
        }
        Expr::Neg(a) => check_functions(a),
        Expr::Path(start, steps) => {
            if let Start::Filter(p, preds) = start {
                check_functions(p)?;
                preds.iter().try_for_each(check_functions)?;
            }
            check_steps(steps)
        }
        Expr::Lit(_) | Expr::Num(_) => Ok(()),
        Expr::Call(name, args) => {
            let Some((_, min, max)) = FUNCTIONS.iter().find(|f| f.0 == name) else {
                return Err(format!("function `{name}()` is not supported"));
            };
            if args.len() < *min || args.len() > *max {
                return Err(format!(
                    "`{name}()` takes {} argument(s), got {}",
                    if min == max {
                        min.to_string()
                    } else {
                        format!("{min}+")
                    },
                    args.len()
                ));
            }
            args.iter().try_for_each(check_functions)
        }
    }
}

// ---------------------------------------------------------------- evaluation

enum Value<'a> {
    Nodes(Vec<XNode<'a>>),
    Str(String),
    Num(f64),
    Bool(bool),
}

impl Value<'_> {
    fn to_bool(&self) -> bool {
        match self {
            Value::Nodes(n) => !n.is_empty(),
            Value::Str(s) => !s.is_empty(),
            Value::Num(n) => *n != 0.0 && !n.is_nan(),
            Value::Bool(b) => *b,
        }
    }
    fn to_str(&self) -> String {
        match self {
            Value::Nodes(n) => n.first().map(XNode::string_value).unwrap_or_default(),
            Value::Str(s) => s.clone(),
            Value::Num(n) => num_str(*n),
            Value::Bool(b) => b.to_string(),
        }
    }
    fn to_num(&self) -> f64 {
        match self {
            Value::Num(n) => *n,
            Value::Bool(b) => f64::from(u8::from(*b)),
            v => str_num(&v.to_str()),
        }
    }
}

fn num_str(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

fn str_num(s: &str) -> f64 {
    s.trim().parse().unwrap_or(f64::NAN)
}

struct Ctx<'a> {
    node: XNode<'a>,
    pos: usize,
    size: usize,
}

fn eval<'a>(e: &Expr, c: &Ctx<'a>) -> Value<'a> {
    match e {
        Expr::Or(a, b) => Value::Bool(eval(a, c).to_bool() || eval(b, c).to_bool()),
        Expr::And(a, b) => Value::Bool(eval(a, c).to_bool() && eval(b, c).to_bool()),
        Expr::Cmp(op, a, b) => Value::Bool(compare(op, &eval(a, c), &eval(b, c))),
        Expr::Arith(op, a, b) => {
            let (x, y) = (eval(a, c).to_num(), eval(b, c).to_num());
            Value::Num(if *op == "+" { x + y } else { x - y })
        }
        Expr::Neg(a) => Value::Num(-eval(a, c).to_num()),
        Expr::Union(a, b) => {
            let mut n = match eval(a, c) {
                Value::Nodes(n) => n,
                _ => Vec::new(),
            };
            if let Value::Nodes(m) = eval(b, c) {
                n.extend(m);
            }
            Value::Nodes(doc_order(n))
        }
        Expr::Lit(s) => Value::Str(s.clone()),
        Expr::Num(n) => Value::Num(*n),
        Expr::Call(name, args) => call(name, args, c),
        Expr::Path(start, steps) => {
            let mut set: Vec<XNode<'a>> = match start {
                Start::Context => vec![c.node],
                Start::Root => {
                    let n = node_of(c.node);
                    let root = n.ancestors().last().unwrap_or(n);
                    vec![XNode::Node(root)]
                }
                Start::Filter(p, preds) => {
                    let v = eval(p, c);
                    let Value::Nodes(n) = v else {
                        // A string/number primary with no steps is a plain value.
                        if steps.is_empty() && preds.is_empty() {
                            return v;
                        }
                        return Value::Nodes(Vec::new());
                    };
                    apply_preds(doc_order(n), preds)
                }
            };
            for step in steps {
                let mut next = Vec::new();
                for n in &set {
                    next.extend(apply_preds(axis_nodes(*n, step), &step.preds));
                }
                set = if set.len() > 1 { doc_order(next) } else { next };
            }
            Value::Nodes(set)
        }
    }
}

fn node_of(n: XNode<'_>) -> NodeRef<'_, Node> {
    match n {
        XNode::Node(n) | XNode::Attr(n, _, _) => n,
    }
}

/// Sorts by document order (node creation order, which html5ever follows
/// closely enough) and removes duplicates.
fn doc_order(mut v: Vec<XNode<'_>>) -> Vec<XNode<'_>> {
    v.sort_by_key(|n| n.key());
    let mut seen = HashSet::new();
    v.retain(|n| seen.insert(n.key()));
    v
}

fn apply_preds<'a>(mut set: Vec<XNode<'a>>, preds: &[Expr]) -> Vec<XNode<'a>> {
    for p in preds {
        let size = set.len();
        set = set
            .into_iter()
            .enumerate()
            .filter(|(i, n)| {
                let c = Ctx {
                    node: *n,
                    pos: i + 1,
                    size,
                };
                match eval(p, &c) {
                    Value::Num(x) => x == (i + 1) as f64,
                    v => v.to_bool(),
                }
            })
            .map(|(_, n)| n)
            .collect();
    }
    set
}

fn axis_nodes<'a>(n: XNode<'a>, step: &Step) -> Vec<XNode<'a>> {
    let node = match n {
        XNode::Node(node) => node,
        // Attributes only have a parent (their element) and themselves.
        XNode::Attr(el, ..) => {
            return match step.axis {
                Axis::Parent | Axis::Ancestor | Axis::AncestorOrSelf
                    if test(XNode::Node(el), &step.test) =>
                {
                    vec![XNode::Node(el)]
                }
                Axis::Itself if step.test == Test::Node || step.test == Test::Any => vec![n],
                _ => Vec::new(),
            };
        }
    };
    let wrap = |it: &mut dyn Iterator<Item = NodeRef<'a, Node>>| -> Vec<XNode<'a>> {
        it.map(XNode::Node)
            .filter(|x| test(*x, &step.test))
            .collect()
    };
    match step.axis {
        Axis::Child => wrap(&mut node.children()),
        Axis::Descendant => wrap(&mut node.descendants().skip(1)),
        Axis::DescendantOrSelf => wrap(&mut node.descendants()),
        Axis::Parent => wrap(&mut node.parent().into_iter()),
        Axis::Ancestor => wrap(&mut node.ancestors()),
        Axis::AncestorOrSelf => wrap(&mut std::iter::once(node).chain(node.ancestors())),
        Axis::FollowingSibling => wrap(&mut node.next_siblings()),
        Axis::PrecedingSibling => wrap(&mut node.prev_siblings()),
        Axis::Itself => wrap(&mut std::iter::once(node)),
        Axis::Attribute => match node.value() {
            Node::Element(e) => e
                .attrs()
                .filter(|(name, _)| match &step.test {
                    Test::Any | Test::Node => true,
                    Test::Name(t) => name.eq_ignore_ascii_case(t),
                    _ => false,
                })
                .map(|(name, v)| XNode::Attr(node, name, v))
                .collect(),
            _ => Vec::new(),
        },
    }
}

fn test(n: XNode<'_>, t: &Test) -> bool {
    let XNode::Node(node) = n else {
        return false;
    };
    match (t, node.value()) {
        (Test::Node, _) => true,
        (Test::Any, Node::Element(_)) => true,
        (Test::Name(name), Node::Element(e)) => e.name().eq_ignore_ascii_case(name),
        (Test::Text, Node::Text(_)) => true,
        (Test::Comment, Node::Comment(_)) => true,
        _ => false,
    }
}

fn compare(op: &str, a: &Value<'_>, b: &Value<'_>) -> bool {
    // Node-sets compare existentially: true if any member's value compares.
    match (a, b) {
        (Value::Nodes(x), Value::Nodes(y)) => x.iter().any(|m| {
            let ms = Value::Str(m.string_value());
            y.iter()
                .any(|n| compare(op, &ms, &Value::Str(n.string_value())))
        }),
        (Value::Nodes(x), other) => x
            .iter()
            .any(|m| compare(op, &Value::Str(m.string_value()), other)),
        (other, Value::Nodes(y)) => y
            .iter()
            .any(|n| compare(op, other, &Value::Str(n.string_value()))),
        _ => match op {
            "=" | "!=" => {
                let eq = match (a, b) {
                    (Value::Bool(_), _) | (_, Value::Bool(_)) => a.to_bool() == b.to_bool(),
                    (Value::Num(_), _) | (_, Value::Num(_)) => a.to_num() == b.to_num(),
                    _ => a.to_str() == b.to_str(),
                };
                eq == (op == "=")
            }
            _ => {
                let (x, y) = (a.to_num(), b.to_num());
                match op {
                    "<" => x < y,
                    "<=" => x <= y,
                    ">" => x > y,
                    _ => x >= y,
                }
            }
        },
    }
}

fn call<'a>(name: &str, args: &[Expr], c: &Ctx<'a>) -> Value<'a> {
    let s = |i: usize| -> String {
        args.get(i)
            .map(|a| eval(a, c).to_str())
            .unwrap_or_else(|| c.node.string_value())
    };
    match name {
        "contains" => Value::Bool(s(0).contains(&s(1))),
        "starts-with" => Value::Bool(s(0).starts_with(&s(1))),
        "ends-with" => Value::Bool(s(0).ends_with(&s(1))),
        "normalize-space" => Value::Str(s(0).split_whitespace().collect::<Vec<_>>().join(" ")),
        "string" => Value::Str(s(0)),
        "string-length" => Value::Num(s(0).chars().count() as f64),
        "concat" => Value::Str((0..args.len()).map(s).collect()),
        "translate" => {
            let (src, from, to) = (s(0), s(1), s(2));
            let (from, to): (Vec<char>, Vec<char>) = (from.chars().collect(), to.chars().collect());
            Value::Str(
                src.chars()
                    .filter_map(|ch| match from.iter().position(|&f| f == ch) {
                        Some(i) => to.get(i).copied(),
                        None => Some(ch),
                    })
                    .collect(),
            )
        }
        "lower-case" => Value::Str(s(0).to_lowercase()),
        "upper-case" => Value::Str(s(0).to_uppercase()),
        "substring-before" => {
            let (a, b) = (s(0), s(1));
            Value::Str(
                a.split_once(b.as_str())
                    .map(|x| x.0.to_string())
                    .unwrap_or_default(),
            )
        }
        "substring-after" => {
            let (a, b) = (s(0), s(1));
            Value::Str(
                a.split_once(b.as_str())
                    .map(|x| x.1.to_string())
                    .unwrap_or_default(),
            )
        }
        "not" => Value::Bool(!eval(&args[0], c).to_bool()),
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        "boolean" => Value::Bool(eval(&args[0], c).to_bool()),
        "number" => Value::Num(match args.first() {
            Some(a) => eval(a, c).to_num(),
            None => str_num(&c.node.string_value()),
        }),
        "count" => Value::Num(match eval(&args[0], c) {
            Value::Nodes(n) => n.len() as f64,
            _ => 0.0,
        }),
        "position" => Value::Num(c.pos as f64),
        "last" => Value::Num(c.size as f64),
        "name" | "local-name" => {
            let n = match args.first().map(|a| eval(a, c)) {
                Some(Value::Nodes(n)) => n.first().copied(),
                Some(_) => None,
                None => Some(c.node),
            };
            Value::Str(match n {
                Some(XNode::Attr(_, name, _)) => name.to_string(),
                Some(XNode::Node(n)) => n
                    .value()
                    .as_element()
                    .map(|e| e.name().to_string())
                    .unwrap_or_default(),
                None => String::new(),
            })
        }
        // check_functions rejected everything else at parse time.
        _ => Value::Nodes(Vec::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use scraper::Html;

    fn texts(html: &str, xp: &str) -> Vec<String> {
        let doc = Html::parse_document(html);
        let x = XPath::parse(xp).unwrap_or_else(|e| panic!("{xp}: {e}"));
        x.select(doc.tree.root())
            .iter()
            .map(|n| {
                n.string_value()
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    }

    const PAGE: &str = r#"<html><body><div id="main">
        <div class="card"><h2>Jane Doe</h2>
          <p class="card-text">Lives in Austin</p>
          <p class="card-text aka"><strong>AKA:</strong> Janie Doe, J Doe</p>
          <p class="card-text"><strong>Related to:</strong> John Doe</p>
          <a href="/p/1" title="See full background">View</a></div>
        <div class="card"><h2>Jane Roe</h2><p class="card-text">Dallas</p></div>
        <table><tbody><tr><th>Name</th></tr><tr><td>A</td><td>1</td></tr><tr><td>B</td><td>2</td></tr></tbody></table>
        <dl><dt>Known as:</dt><dd>JD</dd><dt>Phone</dt><dd>555</dd></dl>
    </div></body></html>"#;

    #[test]
    fn evaluates_broker_style_expressions() {
        let cases: &[(&str, &[&str])] = &[
            ("//h2", &["Jane Doe", "Jane Roe"]),
            ("(//h2)[2]", &["Jane Roe"]),
            ("(//h2)[last()]", &["Jane Roe"]),
            ("//div[@class='card'][1]/h2", &["Jane Doe"]),
            (
                "//p[contains(@class,'card-text') and strong[contains(text(),'AKA')]]",
                &["AKA: Janie Doe, J Doe"],
            ),
            (
                "//h3[contains(strong, 'AKA')] | //p[contains(strong, 'Related')]",
                &["Related to: John Doe"],
            ),
            ("//table/tbody/tr[position() > 1]/td[1]", &["A", "B"]),
            ("//dt[text()='Known as:']/following-sibling::dd[1]", &["JD"]),
            ("//dd[.='555']/preceding-sibling::dt[1]", &["Phone"]),
            ("//a[contains(@title, 'See full')]/@href", &["/p/1"]),
            ("//h2[text()='Jane Roe']/../p", &["Dallas"]),
            (
                "//h2[normalize-space()='Jane Doe']/parent::div/@class",
                &["card"],
            ),
            ("//strong/ancestor::div[@id]/@id", &["main"]),
            (
                "//p[not(strong)][starts-with(., 'Lives')]",
                &["Lives in Austin"],
            ),
            ("//p[@class='card-text aka']/text()", &["Janie Doe, J Doe"]),
            (
                "//div[@class='card' and h2[text()=\"Jane Roe\"]]/self::div/p",
                &["Dallas"],
            ),
            ("count(//h2)", &[]),
            ("//td[. = 2 or . = '1']", &["1", "2"]),
        ];
        for (xp, want) in cases {
            assert_eq!(&texts(PAGE, xp), want, "{xp}");
        }
    }

    #[test]
    fn relative_paths_start_at_the_context_node() {
        let doc = Html::parse_document(PAGE);
        let card = XPath::parse("(//div[@class='card'])[1]")
            .unwrap()
            .select(doc.tree.root());
        let XNode::Node(card) = card[0] else {
            panic!("element expected")
        };
        let got = XPath::parse(".//p[@class='card-text']")
            .unwrap()
            .select(card);
        let got: Vec<String> = got.iter().map(XNode::string_value).collect();
        assert_eq!(got, ["Lives in Austin", "Related to: John Doe"]);
    }

    #[test]
    fn reports_what_is_wrong() {
        for (bad, want) in [
            ("//div[", "expected a step"),
            ("//div[@class='x'", "expected `]`"),
            ("//p[foo(1)]", "`foo()` is not supported"),
            ("//p[contains(.)]", "takes 2 argument"),
            ("//div/following::p", "axis `following::`"),
            ("//p[@a='x]", "not closed"),
            ("(//p", "expected `)`"),
        ] {
            let e = XPath::parse(bad).unwrap_err();
            assert!(e.contains(want), "{bad}: {e}");
        }
    }
}
