//! Markdown → sanitized HTML blocks, with raw HTML escaped, heading ids, checked links, and
//! the special fenced blocks (`quiz`, `widget`, `figure`) cut out for [`super::blocks`].

use pulldown_cmark::{CodeBlockKind, CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use super::svg::escape;
use crate::{Heading, lesson_href, route_href};

/// A link to check once every lesson is known.
#[derive(Clone, Debug, PartialEq)]
pub struct LinkRef {
    pub lesson: String,
    pub anchor: Option<String>,
    pub line: usize,
}

/// A fenced block the compiler handles itself.
#[derive(Clone, Debug, PartialEq)]
pub struct SpecialBlock {
    pub kind: SpecialKind,
    pub body: String,
    pub line: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpecialKind {
    Quiz,
    Widget,
    Figure,
}

/// One piece of a rendered lesson body, in order.
#[derive(Clone, Debug, PartialEq)]
pub enum Piece {
    Html(String),
    Special(SpecialBlock),
}

/// What rendering a Markdown text produced besides its HTML.
#[derive(Debug, Default)]
pub struct Rendered {
    pub pieces: Vec<Piece>,
    pub headings: Vec<Heading>,
    pub links: Vec<LinkRef>,
    /// Plain text, for the search index.
    pub text: String,
    /// Problems found, with 1-based line numbers relative to the rendered text.
    pub errors: Vec<(usize, String)>,
}

fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_SMART_PUNCTUATION
        | Options::ENABLE_GFM
}

fn line_of(src: &str, offset: usize) -> usize {
    src[..offset.min(src.len())]
        .bytes()
        .filter(|&b| b == b'\n')
        .count()
        + 1
}

/// Slug for a heading id: lowercase letters and digits, other runs become one `-`.
pub fn slug(text: &str) -> String {
    let mut s = String::new();
    for c in text.chars() {
        if c.is_alphanumeric() {
            s.extend(c.to_lowercase());
        } else if !s.ends_with('-') && !s.is_empty() {
            s.push('-');
        }
    }
    while s.ends_with('-') {
        s.pop();
    }
    if s.is_empty() { "section".into() } else { s }
}

/// Renders a lesson body. `lesson` is the lesson's id (for same-page anchors); `special`
/// decides whether quiz/widget/figure fences are cut out (body) or refused (inline strings).
pub fn render(src: &str, lesson: &str, allow_special: bool) -> Rendered {
    let mut r = Rendered::default();
    let mut events: Vec<Event<'_>> = Vec::new();
    let mut used_ids: Vec<String> = Vec::new();
    let mut iter = Parser::new_ext(src, options())
        .into_offset_iter()
        .peekable();

    let flush = |events: &mut Vec<Event<'_>>, pieces: &mut Vec<Piece>| {
        if !events.is_empty() {
            let mut html = String::new();
            pulldown_cmark::html::push_html(&mut html, events.drain(..));
            if !html.trim().is_empty() {
                pieces.push(Piece::Html(html));
            }
        }
    };

    while let Some((ev, range)) = iter.next() {
        let line = line_of(src, range.start);
        match ev {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info)))
                if matches!(info.trim(), "quiz" | "widget" | "figure") =>
            {
                let kind = match info.trim() {
                    "quiz" => SpecialKind::Quiz,
                    "widget" => SpecialKind::Widget,
                    _ => SpecialKind::Figure,
                };
                let mut body = String::new();
                for (ev, _) in iter.by_ref() {
                    match ev {
                        Event::Text(t) => body.push_str(&t),
                        Event::End(TagEnd::CodeBlock) => break,
                        _ => {}
                    }
                }
                if allow_special {
                    flush(&mut events, &mut r.pieces);
                    // The block's content starts on the line after the fence.
                    r.pieces.push(Piece::Special(SpecialBlock {
                        kind,
                        body,
                        line: line + 1,
                    }));
                } else {
                    r.errors.push((
                        line,
                        format!("a ```{} block is not allowed here", info.trim()),
                    ));
                }
            }
            // Raw HTML is off: show it as text, and flag it so the author fixes the source.
            Event::Html(h) | Event::InlineHtml(h) => {
                r.errors.push((
                    line,
                    format!("raw HTML is not allowed (escaped): {}", h.trim()),
                ));
                r.text.push_str(&h);
                events.push(Event::Text(h));
            }
            Event::Start(Tag::HtmlBlock) => events.push(Event::Start(Tag::Paragraph)),
            Event::End(TagEnd::HtmlBlock) => events.push(Event::End(TagEnd::Paragraph)),
            Event::Start(Tag::Heading { level, .. }) => {
                let mut inner = Vec::new();
                let mut text = String::new();
                for (ev, _) in iter.by_ref() {
                    match &ev {
                        Event::End(TagEnd::Heading(_)) => break,
                        Event::Text(t) | Event::Code(t) => text.push_str(t),
                        Event::Html(h) | Event::InlineHtml(h) => {
                            r.errors
                                .push((line, "raw HTML is not allowed in headings".into()));
                            text.push_str(h);
                        }
                        Event::Start(Tag::Link { .. }) => {
                            r.errors
                                .push((line, "headings may not contain links".into()));
                        }
                        _ => {}
                    }
                    if !matches!(
                        ev,
                        Event::Html(_)
                            | Event::InlineHtml(_)
                            | Event::Start(Tag::Link { .. })
                            | Event::End(TagEnd::Link)
                    ) {
                        inner.push(ev);
                    }
                }
                let lvl = match level {
                    HeadingLevel::H1 => 1,
                    HeadingLevel::H2 => 2,
                    HeadingLevel::H3 => 3,
                    HeadingLevel::H4 => 4,
                    HeadingLevel::H5 => 5,
                    HeadingLevel::H6 => 6,
                };
                if !(2..=4).contains(&lvl) {
                    r.errors.push((
                        line,
                        format!("heading level {lvl}: use ## to #### (the title comes from the front matter)"),
                    ));
                }
                let base = slug(&text);
                let mut id = base.clone();
                let mut n = 2;
                while used_ids.contains(&id) {
                    id = format!("{base}-{n}");
                    n += 1;
                }
                used_ids.push(id.clone());
                r.headings.push(Heading {
                    id: id.clone(),
                    level: lvl,
                    text: text.clone(),
                });
                r.text.push('\n');
                r.text.push_str(&text);
                r.text.push('\n');
                events.push(Event::Start(Tag::Heading {
                    level,
                    id: Some(CowStr::from(id)),
                    classes: Vec::new(),
                    attrs: Vec::new(),
                }));
                events.extend(inner);
                events.push(Event::End(TagEnd::Heading(level)));
            }
            Event::Start(Tag::Link {
                dest_url, title, ..
            }) => match link_open(&dest_url, &title, lesson) {
                Ok((html, target)) => {
                    if let Some((lesson, anchor)) = target {
                        r.links.push(LinkRef {
                            lesson,
                            anchor,
                            line,
                        });
                    }
                    events.push(Event::InlineHtml(CowStr::from(html)));
                }
                Err(e) => {
                    r.errors.push((line, e));
                    events.push(Event::InlineHtml(CowStr::from("<a>")));
                }
            },
            Event::End(TagEnd::Link) => events.push(Event::InlineHtml(CowStr::from("</a>"))),
            Event::Start(Tag::Image { .. }) => {
                r.errors.push((
                    line,
                    "Markdown images are not allowed: use a ```figure block".into(),
                ));
                // Keep the alt text as plain text.
                for (ev, _) in iter.by_ref() {
                    match ev {
                        Event::End(TagEnd::Image) => break,
                        Event::Text(t) => events.push(Event::Text(t)),
                        _ => {}
                    }
                }
            }
            Event::Text(t) => {
                r.text.push_str(&t);
                events.push(Event::Text(t));
            }
            Event::Code(t) => {
                r.text.push_str(&t);
                events.push(Event::Code(t));
            }
            Event::SoftBreak | Event::HardBreak => {
                r.text.push(' ');
                events.push(ev);
            }
            Event::End(TagEnd::Paragraph)
            | Event::End(TagEnd::Item)
            | Event::End(TagEnd::TableCell) => {
                r.text.push('\n');
                events.push(ev);
            }
            other => events.push(other),
        }
    }
    flush(&mut events, &mut r.pieces);
    r
}

/// The opening `<a …>` for a Markdown link, and the lesson/anchor it points at (to check
/// later). Allowed: `https://`/`http://`, `lesson:<id>[#anchor]`, `#anchor` (this lesson),
/// `app:<route>`.
/// A lesson id and optional heading anchor a link points at.
type Target = (String, Option<String>);

fn link_open(dest: &str, title: &str, lesson: &str) -> Result<(String, Option<Target>), String> {
    let title_attr = if title.is_empty() {
        String::new()
    } else {
        format!(" title=\"{}\"", escape(title))
    };
    if dest.starts_with("https://") || dest.starts_with("http://") {
        if dest
            .chars()
            .any(|c| c.is_whitespace() || c == '"' || c == '<' || c == '>')
        {
            return Err(format!("malformed URL: {dest}"));
        }
        let html = format!(
            "<a href=\"{}\" rel=\"noopener noreferrer\" target=\"_blank\"{title_attr}>",
            escape(dest)
        );
        return Ok((html, None));
    }
    let (target, anchor) = if let Some(rest) = dest.strip_prefix("lesson:") {
        match rest.split_once('#') {
            Some((id, a)) => (id.to_string(), Some(a.to_string())),
            None => (rest.to_string(), None),
        }
    } else if let Some(a) = dest.strip_prefix('#') {
        (lesson.to_string(), Some(a.to_string()))
    } else if let Some(route) = dest.strip_prefix("app:") {
        let href = route_href(route)
            .ok_or_else(|| format!("unknown app route '{route}' in link {dest}"))?;
        return Ok((
            format!(
                "<a href=\"{href}\" data-route=\"{}\"{title_attr}>",
                escape(route)
            ),
            None,
        ));
    } else {
        return Err(format!(
            "unsupported link '{dest}': use https://…, lesson:<id>[#anchor], #anchor or app:<route>"
        ));
    };
    if target.is_empty() || anchor.as_deref() == Some("") {
        return Err(format!("empty lesson or anchor in link {dest}"));
    }
    let href = lesson_href(&target, anchor.as_deref());
    let anchor_attr = anchor
        .as_deref()
        .map(|a| format!(" data-anchor=\"{}\"", escape(a)))
        .unwrap_or_default();
    let html = format!(
        "<a href=\"{}\" data-lesson=\"{}\"{anchor_attr}{title_attr}>",
        escape(&href),
        escape(&target)
    );
    Ok((html, Some((target, anchor))))
}

/// Renders a short string (quiz prompt, option, caption) as inline HTML: a single paragraph
/// loses its `<p>`; block structure other than paragraphs is refused.
pub fn render_inline(src: &str, lesson: &str) -> Rendered {
    let mut r = render(src, lesson, false);
    if let [Piece::Html(h)] = r.pieces.as_slice() {
        let trimmed = h.trim();
        let single = trimmed.starts_with("<p>")
            && trimmed.ends_with("</p>")
            && trimmed.matches("<p>").count() == 1;
        if single {
            let inner = trimmed["<p>".len()..trimmed.len() - "</p>".len()].to_string();
            r.pieces = vec![Piece::Html(inner)];
        } else if !trimmed.starts_with("<p>") {
            r.errors.push((
                1,
                "only paragraphs of inline Markdown are allowed here".into(),
            ));
        }
    }
    r
}

/// The single HTML string of a rendered inline text ("" when empty).
pub fn inline_html(r: &Rendered) -> String {
    match r.pieces.as_slice() {
        [Piece::Html(h)] => h.clone(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn html(r: &Rendered) -> String {
        r.pieces
            .iter()
            .map(|p| match p {
                Piece::Html(h) => h.clone(),
                Piece::Special(s) => format!("[{:?}]", s.kind),
            })
            .collect()
    }

    #[test]
    fn raw_html_is_escaped_and_reported() {
        let r = render(
            "Hello <script>alert(1)</script> world\n\n<div onclick=\"x()\">hi</div>\n",
            "l",
            true,
        );
        let h = html(&r);
        assert!(!h.contains("<script"), "{h}");
        assert!(!h.contains("<div"), "{h}");
        assert!(h.contains("&lt;script&gt;"), "{h}");
        assert!(h.contains("&lt;div onclick="), "{h}");
        assert!(r.errors.len() >= 2);
    }

    #[test]
    fn headings_get_unique_ids_and_h1_is_refused() {
        let r = render("## Two words\n\n### Two words\n\n# Top\n", "l", true);
        let h = html(&r);
        assert!(h.contains("<h2 id=\"two-words\">"), "{h}");
        assert!(h.contains("<h3 id=\"two-words-2\">"), "{h}");
        assert_eq!(r.headings.len(), 3);
        assert!(r.errors.iter().any(|(_, e)| e.contains("heading level 1")));
    }

    #[test]
    fn links_are_rewritten_and_checked() {
        let r = render(
            "[a](lesson:gptq#the-hessian) [b](#intro) [c](https://arxiv.org/abs/2210.17323) [d](app:workbench) [e](javascript:alert(1)) [f](app:nowhere)",
            "here",
            true,
        );
        let h = html(&r);
        assert!(h.contains(r##"<a href="#/learn/gptq/the-hessian" data-lesson="gptq" data-anchor="the-hessian">a</a>"##), "{h}");
        assert!(
            h.contains(r#"data-lesson="here" data-anchor="intro""#),
            "{h}"
        );
        assert!(h.contains(r#"<a href="https://arxiv.org/abs/2210.17323" rel="noopener noreferrer" target="_blank">c</a>"#));
        assert!(h.contains(r##"<a href="#/workbench" data-route="workbench">d</a>"##));
        assert!(!h.contains("javascript"), "{h}");
        assert_eq!(r.errors.len(), 2, "{:?}", r.errors);
        assert_eq!(r.links.len(), 2);
        assert_eq!(
            r.links[0],
            LinkRef {
                lesson: "gptq".into(),
                anchor: Some("the-hessian".into()),
                line: 1
            }
        );
    }

    #[test]
    fn special_blocks_are_cut_out_in_order() {
        let src = "Intro\n\n```quiz\n[[item]]\n```\n\nMiddle\n\n```rust\nfn x() {}\n```\n\n```widget\nkind = \"x\"\n```\n";
        let r = render(src, "l", true);
        let kinds: Vec<String> = r
            .pieces
            .iter()
            .map(|p| match p {
                Piece::Html(_) => "html".to_string(),
                Piece::Special(s) => format!("{:?}@{}", s.kind, s.line),
            })
            .collect();
        assert_eq!(kinds, vec!["html", "Quiz@4", "html", "Widget@14"]);
        assert!(html(&r).contains("language-rust"));
        let Piece::Special(q) = &r.pieces[1] else {
            panic!()
        };
        assert_eq!(q.body, "[[item]]\n");
    }

    #[test]
    fn images_are_refused_and_inline_strips_paragraph() {
        let r = render("![alt](x.png)", "l", true);
        assert_eq!(r.errors.len(), 1);
        assert!(!html(&r).contains("<img"));
        let r = render_inline("Use `Q4_K` *here*", "l");
        assert_eq!(inline_html(&r), "Use <code>Q4_K</code> <em>here</em>");
        let r = render_inline("- a list", "l");
        assert!(!r.errors.is_empty());
    }

    #[test]
    fn slugs() {
        assert_eq!(
            slug("Per-tensor, per-channel & per-group!"),
            "per-tensor-per-channel-per-group"
        );
        assert_eq!(slug("  "), "section");
        assert_eq!(slug("FP8 (E4M3)"), "fp8-e4m3");
    }
}
