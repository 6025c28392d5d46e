//! SVG sanitizer for figures: parses the SVG as XML and re-serializes only an allowlist of
//! elements and attributes, so whatever an author (or a bad merge) puts in a figure, the output
//! cannot run script, load external resources or break out of the `<svg>` element.

/// Elements kept. Anything else (script, foreignObject, image, use, a, style, animate…) is an
/// error, not silently dropped, so the author notices.
const ELEMENTS: &[&str] = &[
    "svg",
    "g",
    "path",
    "rect",
    "circle",
    "ellipse",
    "line",
    "polyline",
    "polygon",
    "text",
    "tspan",
    "title",
    "desc",
    "defs",
    "marker",
    "linearGradient",
    "radialGradient",
    "stop",
];

/// Presentation and geometry attributes kept. No `style` (CSS can load URLs), no `href`, no
/// event handlers, no namespaced attributes.
const ATTRIBUTES: &[&str] = &[
    "viewBox",
    "width",
    "height",
    "x",
    "y",
    "x1",
    "y1",
    "x2",
    "y2",
    "cx",
    "cy",
    "r",
    "rx",
    "ry",
    "fx",
    "fy",
    "d",
    "points",
    "fill",
    "stroke",
    "stroke-width",
    "stroke-dasharray",
    "stroke-linecap",
    "stroke-linejoin",
    "opacity",
    "fill-opacity",
    "stroke-opacity",
    "fill-rule",
    "transform",
    "font-size",
    "font-family",
    "font-weight",
    "font-style",
    "text-anchor",
    "dominant-baseline",
    "dx",
    "dy",
    "id",
    "class",
    "marker-end",
    "marker-start",
    "marker-mid",
    "markerWidth",
    "markerHeight",
    "refX",
    "refY",
    "orient",
    "markerUnits",
    "offset",
    "stop-color",
    "stop-opacity",
    "gradientUnits",
    "gradientTransform",
    "preserveAspectRatio",
    "letter-spacing",
    "vector-effect",
];

/// A sanitized SVG, or why it was refused.
pub fn sanitize(src: &str, figure_id: &str, alt: &str) -> Result<String, String> {
    let opts = roxmltree::ParsingOptions {
        allow_dtd: false,
        ..Default::default()
    };
    let doc = roxmltree::Document::parse_with_options(src.trim(), opts)
        .map_err(|e| format!("SVG is not well-formed XML: {e}"))?;
    let root = doc.root_element();
    if root.tag_name().name() != "svg" {
        return Err("figure markup must have <svg> as its root".into());
    }
    if root.attribute("viewBox").is_none() {
        return Err("<svg> needs a viewBox (figures scale to the column width)".into());
    }
    let mut out = String::new();
    write_node(root, figure_id, alt, true, &mut out)?;
    Ok(out)
}

fn write_node(
    node: roxmltree::Node<'_, '_>,
    figure_id: &str,
    alt: &str,
    is_root: bool,
    out: &mut String,
) -> Result<(), String> {
    let name = node.tag_name().name();
    if let Some(ns) = node.tag_name().namespace()
        && ns != "http://www.w3.org/2000/svg"
    {
        return Err(format!("element <{name}> in foreign namespace {ns}"));
    }
    if !ELEMENTS.contains(&name) {
        return Err(format!("element <{name}> is not allowed in figures"));
    }
    out.push('<');
    out.push_str(name);
    if is_root {
        out.push_str(" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"");
        out.push_str(&escape(alt));
        out.push('"');
    }
    for attr in node.attributes() {
        let an = attr.name();
        if attr.namespace().is_some() {
            return Err(format!(
                "namespaced attribute {an} on <{name}> is not allowed"
            ));
        }
        if is_root && (an == "role" || an == "aria-label") {
            continue; // set from the figure's alt text above
        }
        if !ATTRIBUTES.contains(&an) {
            return Err(format!("attribute {an} on <{name}> is not allowed"));
        }
        let v = attr.value();
        check_value(an, v, figure_id)?;
        out.push(' ');
        out.push_str(an);
        out.push_str("=\"");
        out.push_str(&escape(v));
        out.push('"');
    }
    out.push('>');
    for child in node.children() {
        if child.is_element() {
            write_node(child, figure_id, alt, false, out)?;
        } else if child.is_text() {
            out.push_str(&escape(child.text().unwrap_or("")));
        }
        // Comments and processing instructions are dropped.
    }
    out.push_str("</");
    out.push_str(name);
    out.push('>');
    Ok(())
}

fn check_value(attr: &str, v: &str, figure_id: &str) -> Result<(), String> {
    let lower = v.to_ascii_lowercase();
    if lower.contains("javascript:") || lower.contains("expression(") || lower.contains("data:") {
        return Err(format!("attribute {attr} has a forbidden value"));
    }
    // url(...) may only point at an element of this same figure (markers, gradients).
    let mut rest = lower.as_str();
    while let Some(i) = rest.find("url(") {
        let after = &rest[i + 4..];
        let end = after
            .find(')')
            .ok_or_else(|| format!("unterminated url( in {attr}"))?;
        let target = after[..end].trim().trim_matches(|c| c == '\'' || c == '"');
        let Some(id) = target.strip_prefix('#') else {
            return Err(format!("attribute {attr} references an external resource"));
        };
        check_id(id, figure_id, attr)?;
        rest = &after[end..];
    }
    if attr == "id" {
        check_id(&lower, figure_id, attr)?;
    }
    Ok(())
}

/// Element ids inside a figure must start with `<figure id>-`: several figures share one page,
/// and two markers both called `arrow` would collide.
fn check_id(id: &str, figure_id: &str, attr: &str) -> Result<(), String> {
    let prefix = format!("{}-", figure_id.to_ascii_lowercase());
    if id.starts_with(&prefix) {
        Ok(())
    } else {
        Err(format!(
            "{attr}: SVG element id '{id}' must start with '{prefix}'"
        ))
    }
}

pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_allowed_markup_and_sets_accessibility() {
        let svg = r#"<svg viewBox="0 0 10 10"><!-- c --><defs><marker id="f-arr"><path d="M0 0L1 1"/></marker></defs><rect x="1" y="1" width="2" height="2" fill="currentColor"/><line x1="0" y1="0" x2="5" y2="5" marker-end="url(#f-arr)"/><text x="1" y="9">a &lt; b</text></svg>"#;
        let out = sanitize(svg, "f", "A \"box\"").unwrap();
        assert!(out.starts_with(r#"<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="A &quot;box&quot;" viewBox="0 0 10 10">"#), "{out}");
        assert!(out.contains("a &lt; b"));
        assert!(!out.contains("<!--"));
        assert!(out.ends_with("</svg>"));
    }

    #[test]
    fn refuses_dangerous_markup() {
        let cases = [
            r#"<svg viewBox="0 0 1 1"><script>alert(1)</script></svg>"#,
            r#"<svg viewBox="0 0 1 1" onload="alert(1)"></svg>"#,
            r#"<svg viewBox="0 0 1 1"><rect style="fill:url(http://x)"/></svg>"#,
            r#"<svg viewBox="0 0 1 1"><rect fill="url(http://evil/x.svg#a)"/></svg>"#,
            r##"<svg viewBox="0 0 1 1" xmlns:xlink="http://www.w3.org/1999/xlink"><path xlink:href="#a"/></svg>"##,
            r#"<svg viewBox="0 0 1 1"><foreignObject><div/></foreignObject></svg>"#,
            r#"<!DOCTYPE svg [<!ENTITY x "y">]><svg viewBox="0 0 1 1"/>"#,
            r#"<svg><rect/></svg>"#,
            r#"<div viewBox="0 0 1 1"/>"#,
            r#"<svg viewBox="0 0 1 1"><rect id="arrow"/></svg>"#,
            r#"<svg viewBox="0 0 1 1"><rect"#,
        ];
        for c in cases {
            assert!(sanitize(c, "f", "alt").is_err(), "accepted: {c}");
        }
    }
}
