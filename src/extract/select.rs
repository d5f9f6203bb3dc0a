//! One selector type for both syntaxes a source may use: CSS (scraper) or
//! the XPath subset in [`super::xpath`].

use ego_tree::NodeRef;
use scraper::{ElementRef, Node, Selector};

use super::xpath::{XNode, XPath};

/// A compiled selector.
#[derive(Debug, Clone)]
pub enum Sel {
    /// A CSS selector.
    Css(Box<Selector>),
    /// An XPath expression.
    XPath(XPath),
}

/// Whether a selector string is XPath (starts with `/`, `./`, `.//`, `..`
/// or `(`); anything else is CSS.
pub fn is_xpath(s: &str) -> bool {
    let s = s.trim_start();
    s.starts_with('/') || s.starts_with("./") || s.starts_with("..") || s.starts_with('(')
}

impl Sel {
    /// Compiles a selector; the error names the syntax and what is wrong.
    pub fn compile(s: &str) -> Result<Sel, String> {
        if s.trim().is_empty() {
            return Err("empty selector; expected CSS (\"h2.name\") or XPath (\".//h2\")".into());
        }
        if is_xpath(s) {
            XPath::parse(s)
                .map(Sel::XPath)
                .map_err(|e| format!("{s:?} is not a valid XPath: {e}"))
        } else {
            Selector::parse(s)
                .map(|c| Sel::Css(Box::new(c)))
                .map_err(|e| format!("{s:?} is not a valid CSS selector: {e}"))
        }
    }

    /// Everything the selector matches under `ctx`, in document order. CSS
    /// matches descendants only (like `ElementRef::select`); XPath is
    /// evaluated with `ctx` as the context node.
    pub fn select<'a>(&self, ctx: NodeRef<'a, Node>) -> Vec<XNode<'a>> {
        match self {
            Sel::Css(sel) => ctx
                .descendants()
                .skip(1)
                .filter_map(ElementRef::wrap)
                .filter(|e| sel.matches(e))
                .map(|e| XNode::Node(*e))
                .collect(),
            Sel::XPath(x) => x.select(ctx),
        }
    }
}

/// Elements that break a line when rendered; their text is kept apart so
/// `<li>Austin</li><li>Dallas</li>` does not read "AustinDallas".
const BLOCK: &[&str] = &[
    "address", "article", "br", "dd", "div", "dl", "dt", "footer", "h1", "h2", "h3", "h4", "h5",
    "h6", "header", "hr", "li", "ol", "p", "section", "table", "tbody", "td", "th", "thead", "tr",
    "ul",
];

/// Visible text of a matched node with whitespace collapsed; `<script>` and
/// `<style>` contents are skipped.
pub fn text_of(n: &XNode<'_>) -> String {
    let XNode::Node(node) = n else {
        return collapse(&n.string_value());
    };
    let mut out = String::new();
    push_text(*node, &mut out);
    collapse(&out)
}

fn push_text(node: NodeRef<'_, Node>, out: &mut String) {
    use ego_tree::iter::Edge;
    // Iterative on purpose: scraped pages are untrusted and can nest
    // deeply enough to overflow the stack of a recursive walk.
    let mut skip_until = None;
    for edge in node.traverse() {
        match edge {
            Edge::Open(n) => {
                if skip_until.is_some() {
                    continue;
                }
                match n.value() {
                    Node::Text(t) => out.push_str(t),
                    Node::Element(e) => {
                        let name = e.name();
                        if matches!(name, "script" | "style" | "noscript" | "template") {
                            skip_until = Some(n.id());
                        } else if BLOCK.contains(&name) {
                            out.push(' ');
                        }
                    }
                    _ => {}
                }
            }
            Edge::Close(n) => {
                if skip_until == Some(n.id()) {
                    skip_until = None;
                } else if skip_until.is_none()
                    && n.value()
                        .as_element()
                        .is_some_and(|e| BLOCK.contains(&e.name()))
                {
                    out.push(' ');
                }
            }
        }
    }
}

/// Collapses runs of whitespace (including non-breaking spaces) to one space.
pub fn collapse(s: &str) -> String {
    s.split(|c: char| c.is_whitespace() || c == '\u{a0}')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// An attribute of a matched element (or the value of a matched attribute).
pub fn attr_of<'a>(n: &XNode<'a>, attr: &str) -> Option<&'a str> {
    match n {
        XNode::Node(node) => node.value().as_element()?.attr(attr),
        XNode::Attr(_, _, v) => Some(v),
    }
}
