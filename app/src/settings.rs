//! The user's settings: what they chose, persisted in IndexedDB. Every field has a default so a
//! record written by an older version still loads (`#[serde(default)]`).

use serde::{Deserialize, Serialize};

/// Colour scheme: follow the system unless the user overrides it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Theme {
    #[default]
    System,
    Light,
    Dark,
}

impl Theme {
    pub const ALL: [Theme; 3] = [Theme::System, Theme::Light, Theme::Dark];

    /// The value written to `<html data-theme>` (CSS picks colours from it).
    pub fn attr(self) -> &'static str {
        match self {
            Theme::System => "system",
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }

    pub fn from_attr(s: &str) -> Option<Theme> {
        Theme::ALL.into_iter().find(|t| t.attr() == s)
    }

    /// The Fluent key of its label.
    pub fn label_key(self) -> &'static str {
        match self {
            Theme::System => "settings-theme-system",
            Theme::Light => "settings-theme-light",
            Theme::Dark => "settings-theme-dark",
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// A locale code from `i18n::LOCALES`, or `None` to follow the browser.
    pub locale: Option<String>,
    pub theme: Theme,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn theme_attr_round_trips() {
        for t in Theme::ALL {
            assert_eq!(Theme::from_attr(t.attr()), Some(t));
        }
    }
}
