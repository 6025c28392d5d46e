//! Every UI string goes through Project Fluent. The `.ftl` sources live in `app/locales/<code>/`,
//! one file per area of the app (`main.ftl` for the shell, `learn.ftl`, `planner.ftl`,
//! `workbench.ftl`). English is compiled into the app; every other locale is one file,
//! `/locales/<code>.ftl`, concatenated at build time (scripts/post_build.py), fetched when chosen
//! and precached for offline use — so adding a language costs the first load nothing; `en` is complete and is the fallback for any message another
//! locale lacks. The tidy test `tests/i18n_keys.rs` fails when a key used in the code is missing
//! from `en`, or when `en` has a key nothing uses.

use fluent_bundle::{FluentArgs, FluentBundle, FluentResource, FluentValue};
use unic_langid::LanguageIdentifier;

/// Text direction of a locale, written to `<html dir>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dir {
    Ltr,
    Rtl,
}

impl Dir {
    pub fn attr(self) -> &'static str {
        match self {
            Dir::Ltr => "ltr",
            Dir::Rtl => "rtl",
        }
    }
}

/// A shipped locale.
#[derive(Debug)]
pub struct Locale {
    /// BCP 47 code, written to `<html lang>`.
    pub code: &'static str,
    /// The language's own name, as the picker shows it.
    pub endonym: &'static str,
    pub dir: Dir,
}

/// The Fluent file names of every locale. Adding an area means adding its file here, in
/// `EN_FTL`, and in every locale folder (the tidy test checks they all exist).
pub const FTL_FILES: [&str; 4] = ["main.ftl", "learn.ftl", "planner.ftl", "workbench.ftl"];

/// English, compiled in: the first paint never waits for a download, and it is the fallback.
pub const EN_FTL: [&str; 4] = [
    include_str!("../locales/en/main.ftl"),
    include_str!("../locales/en/learn.ftl"),
    include_str!("../locales/en/planner.ftl"),
    include_str!("../locales/en/workbench.ftl"),
];

/// Where the app fetches a non-English locale's messages (one file per locale).
pub fn ftl_url(code: &str) -> String {
    format!("/locales/{code}.ftl")
}

pub const LOCALES: &[Locale] = &[
    Locale {
        code: "en",
        endonym: "English",
        dir: Dir::Ltr,
    },
    Locale {
        code: "ar",
        endonym: "العربية",
        dir: Dir::Rtl,
    },
    Locale {
        code: "es",
        endonym: "Español",
        dir: Dir::Ltr,
    },
];

/// The locale for a code, or English.
pub fn locale(code: &str) -> &'static Locale {
    LOCALES
        .iter()
        .find(|l| l.code == code)
        .unwrap_or(&LOCALES[0])
}

/// Picks the first shipped locale matching the user's preferred languages (`navigator.languages`
/// order), comparing primary language subtags; English when none match.
pub fn negotiate<'a>(preferred: impl IntoIterator<Item = &'a str>) -> &'static Locale {
    for want in preferred {
        let primary = want
            .split(['-', '_'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        if let Some(l) = LOCALES.iter().find(|l| l.code == primary) {
            return l;
        }
    }
    &LOCALES[0]
}

fn bundle<S: AsRef<str>>(locale: &Locale, sources: &[S]) -> FluentBundle<FluentResource> {
    let lang: LanguageIdentifier = locale.code.parse().expect("shipped codes are valid");
    let mut bundle = FluentBundle::new(vec![lang]);
    for src in sources {
        let src = src.as_ref();
        let res = FluentResource::try_new(src.to_string()).unwrap_or_else(|(res, _errors)| res); // the tidy test rejects syntax errors
        bundle
            .add_resource(res)
            .expect("message ids are unique across files (tidy test)");
    }
    bundle
}

/// Translations for one locale, with English as the fallback.
pub struct I18n {
    pub locale: &'static Locale,
    primary: FluentBundle<FluentResource>,
    fallback: Option<FluentBundle<FluentResource>>,
}

impl PartialEq for I18n {
    fn eq(&self, other: &Self) -> bool {
        self.locale.code == other.locale.code
    }
}

impl std::fmt::Debug for I18n {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "I18n({})", self.locale.code)
    }
}

impl I18n {
    /// English.
    pub fn english() -> I18n {
        I18n {
            locale: &LOCALES[0],
            primary: bundle(&LOCALES[0], &EN_FTL),
            fallback: None,
        }
    }

    /// `locale` from its Fluent source text (what `/locales/<code>.ftl` holds), with English as
    /// the fallback for anything it lacks.
    pub fn with_source(locale: &'static Locale, ftl: &str) -> I18n {
        if locale.code == "en" {
            return I18n::english();
        }
        I18n {
            locale,
            primary: bundle(locale, &[ftl]),
            fallback: Some(bundle(&LOCALES[0], &EN_FTL)),
        }
    }

    /// The message `key`.
    pub fn t(&self, key: &str) -> String {
        self.format(key, None)
    }

    /// The message `key` with named arguments.
    pub fn ta(&self, key: &str, args: &[(&str, FluentValue<'_>)]) -> String {
        let mut fa = FluentArgs::new();
        for (k, v) in args {
            fa.set(*k, v.clone());
        }
        self.format(key, Some(&fa))
    }

    fn format(&self, key: &str, args: Option<&FluentArgs>) -> String {
        for b in std::iter::once(&self.primary).chain(self.fallback.as_ref()) {
            if let Some(pattern) = b.get_message(key).and_then(|m| m.value()) {
                let mut errors = vec![];
                return b.format_pattern(pattern, args, &mut errors).into_owned();
            }
        }
        // Visible in the UI and caught by the tidy test; never a panic in front of a user.
        format!("⟦{key}⟧")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_prefers_the_users_order() {
        assert_eq!(negotiate(["fr-FR", "ar-EG", "en"]).code, "ar");
        assert_eq!(negotiate(["es-419"]).code, "es");
        assert_eq!(negotiate(["de"]).code, "en");
    }

    fn source(code: &str) -> String {
        FTL_FILES
            .iter()
            .map(|f| {
                let p = format!("{}/locales/{code}/{f}", env!("CARGO_MANIFEST_DIR"));
                std::fs::read_to_string(p).unwrap()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn arabic_is_right_to_left_and_falls_back_to_english() {
        let ar = I18n::with_source(locale("ar"), &source("ar"));
        assert_eq!(ar.locale.dir, Dir::Rtl);
        assert_ne!(ar.t("nav-learn"), I18n::english().t("nav-learn"));
        assert!(ar.t("no-such-key").contains("no-such-key"));
        // A message missing from a locale falls back to English rather than showing a key.
        let partial = I18n::with_source(locale("es"), "nav-learn = Aprender\n");
        assert_eq!(partial.t("nav-learn"), "Aprender");
        assert_eq!(partial.t("nav-planner"), "Planner");
    }

    #[test]
    fn arguments_are_formatted() {
        let en = I18n::english();
        let s = en.ta("page-title", &[("page", "Learn".into())]);
        assert!(s.contains("Learn") && s.contains("Bitsmith"), "{s}");
    }
}
