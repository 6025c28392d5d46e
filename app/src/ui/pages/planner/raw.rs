//! The planner's read-only blocks (tables, the chart, fact lists) written as HTML text.
//!
//! Every `html!` element compiles to its own construction code, and the planner shows hundreds
//! of cells: written as text, the page costs a fraction of the first-load bytes. Everything
//! dynamic goes through `text` (escaped); tags and attributes are static strings or numbers.
//! Interactive controls stay in `html!`. (The end-to-end tests paste a config.json whose
//! `model_type` is markup and check it shows as text.)

use yew::{AttrValue, Html};

#[derive(Default)]
pub struct Raw(String);

impl Raw {
    /// `<tag attrs…>`; `tag` carries its attributes, which must not hold user text.
    pub fn open(&mut self, tag: &str) -> &mut Raw {
        self.0.push('<');
        self.0.push_str(tag);
        self.0.push('>');
        self
    }

    /// `</name>` for the tag `tag` opened (its first word).
    pub fn close(&mut self, tag: &str) -> &mut Raw {
        self.0.push_str("</");
        self.0.push_str(tag.split(' ').next().unwrap_or(tag));
        self.0.push('>');
        self
    }

    /// Escaped text.
    pub fn text(&mut self, t: &str) -> &mut Raw {
        for c in t.chars() {
            match c {
                '&' => self.0.push_str("&amp;"),
                '<' => self.0.push_str("&lt;"),
                '>' => self.0.push_str("&gt;"),
                '"' => self.0.push_str("&quot;"),
                '\'' => self.0.push_str("&#39;"),
                c => self.0.push(c),
            }
        }
        self
    }

    /// `<tag>text</tag>`.
    pub fn el(&mut self, tag: &str, t: &str) -> &mut Raw {
        self.open(tag).text(t).close(tag)
    }

    pub fn html(self) -> Html {
        Html::from_html_unchecked(AttrValue::from(self.0))
    }
}
