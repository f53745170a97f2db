//! Sysmon's condition operators, as its rule engine applies them (`MatchFilterOnSpecificRule`).
//!
//! Every comparison is case-insensitive. The `… any` / `… all` operators split the rule's value on
//! `;`. `image` compares the file name alone when the rule's value has no `\`. `less than` and
//! `more than` compare the strings (case-insensitively, code unit by code unit), not numbers.

/// One condition operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    Is,
    IsNot,
    IsAny,
    Contains,
    ContainsAny,
    ContainsAll,
    Excludes,
    ExcludesAny,
    ExcludesAll,
    BeginWith,
    NotBeginWith,
    EndWith,
    NotEndWith,
    LessThan,
    MoreThan,
    Image,
}

impl Condition {
    /// Every operator with the name a configuration spells it with.
    pub const ALL: [(&'static str, Condition); 16] = [
        ("is", Condition::Is),
        ("is not", Condition::IsNot),
        ("is any", Condition::IsAny),
        ("contains", Condition::Contains),
        ("contains any", Condition::ContainsAny),
        ("contains all", Condition::ContainsAll),
        ("excludes", Condition::Excludes),
        ("excludes any", Condition::ExcludesAny),
        ("excludes all", Condition::ExcludesAll),
        ("begin with", Condition::BeginWith),
        ("not begin with", Condition::NotBeginWith),
        ("end with", Condition::EndWith),
        ("not end with", Condition::NotEndWith),
        ("less than", Condition::LessThan),
        ("more than", Condition::MoreThan),
        ("image", Condition::Image),
    ];

    /// The operator a `condition="…"` attribute names; no attribute means `is`.
    pub fn parse(s: Option<&str>) -> Option<Condition> {
        let Some(s) = s else {
            return Some(Condition::Is);
        };
        Condition::ALL
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(s.trim()))
            .map(|(_, c)| *c)
    }

    /// The name a configuration spells it with.
    pub fn name(self) -> &'static str {
        Condition::ALL
            .iter()
            .find(|(_, c)| *c == self)
            .map_or("is", |(n, _)| n)
    }

    /// Does `value` (the event's field) satisfy this condition with the rule's `data`?
    pub fn matches(self, data: &str, value: &str) -> bool {
        let d = data.to_lowercase();
        let v = value.to_lowercase();
        // Sysmon's tokenizer: `;`-separated items; an empty item never matches here (Sysmon's own
        // handling of `a;;b` compares against the rest of the string, which no real rule relies on).
        let items = || d.split(';').filter(|t| !t.is_empty());
        match self {
            Condition::Is => v == d,
            Condition::IsNot => v != d,
            Condition::IsAny => items().any(|t| v == t),
            Condition::Contains => v.contains(&d),
            Condition::ContainsAny => items().any(|t| v.contains(t)),
            Condition::ContainsAll => items().all(|t| v.contains(t)),
            Condition::Excludes => !v.contains(&d),
            Condition::ExcludesAny => !items().any(|t| v.contains(t)),
            Condition::ExcludesAll => !items().all(|t| v.contains(t)),
            Condition::BeginWith => v.starts_with(&d),
            Condition::NotBeginWith => !v.starts_with(&d),
            Condition::EndWith => v.ends_with(&d),
            Condition::NotEndWith => !v.ends_with(&d),
            Condition::LessThan => v < d,
            Condition::MoreThan => v > d,
            Condition::Image => {
                if d.contains('\\') {
                    v == d
                } else {
                    v.rsplit('\\').next().unwrap_or(&v) == d
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Condition::{self, *};

    fn m(c: Condition, data: &str, value: &str) -> bool {
        c.matches(data, value)
    }

    #[test]
    fn every_name_parses_to_its_operator_case_insensitively() {
        for (name, c) in Condition::ALL {
            assert_eq!(Condition::parse(Some(name)), Some(c));
            assert_eq!(Condition::parse(Some(&name.to_uppercase())), Some(c));
            assert_eq!(c.name(), name);
        }
        assert_eq!(Condition::parse(None), Some(Is));
        assert_eq!(Condition::parse(Some("regex")), None);
    }

    #[test]
    fn is_and_is_not_compare_whole_values_ignoring_case() {
        assert!(m(
            Is,
            "C:\\Windows\\System32\\rundll32.exe",
            "c:\\windows\\system32\\RUNDLL32.EXE"
        ));
        assert!(!m(
            Is,
            "rundll32.exe",
            "c:\\windows\\system32\\rundll32.exe"
        ));
        assert!(m(
            IsNot,
            "rundll32.exe",
            "c:\\windows\\system32\\rundll32.exe"
        ));
        assert!(!m(IsNot, "A", "a"));
    }

    #[test]
    fn is_any_needs_one_whole_item() {
        assert!(m(IsAny, "RUNDLL32.EXE;REGSVR32.EXE", "regsvr32.exe"));
        assert!(!m(IsAny, "RUNDLL32.EXE;REGSVR32.EXE", "regsvr32.exe.bak"));
    }

    #[test]
    fn contains_family() {
        assert!(m(
            Contains,
            "\\Temp\\",
            "C:\\Users\\a\\AppData\\Local\\TEMP\\x.dll"
        ));
        assert!(!m(Contains, "\\Tmp\\", "C:\\Temp\\x.dll"));
        assert!(m(ContainsAny, "\\Tmp\\;\\Temp\\", "C:\\Temp\\x.dll"));
        assert!(!m(ContainsAny, "\\Tmp\\;\\Foo\\", "C:\\Temp\\x.dll"));
        assert!(m(
            ContainsAll,
            "\\Users\\;\\Temp\\",
            "C:\\Users\\a\\Temp\\x.dll"
        ));
        assert!(!m(ContainsAll, "\\Users\\;\\Temp\\", "C:\\Temp\\x.dll"));
    }

    #[test]
    fn excludes_family_is_the_negation() {
        assert!(m(Excludes, "\\Temp\\", "C:\\Windows\\x.dll"));
        assert!(!m(Excludes, "\\temp\\", "C:\\TEMP\\x.dll"));
        // excludes any: none of the items is present.
        assert!(m(ExcludesAny, "\\Tmp\\;\\Foo\\", "C:\\Temp\\x.dll"));
        assert!(!m(ExcludesAny, "\\Tmp\\;\\Temp\\", "C:\\Temp\\x.dll"));
        // excludes all: not every item is present.
        assert!(m(ExcludesAll, "\\Users\\;\\Temp\\", "C:\\Temp\\x.dll"));
        assert!(!m(
            ExcludesAll,
            "\\Users\\;\\Temp\\",
            "C:\\Users\\Temp\\x.dll"
        ));
    }

    #[test]
    fn begin_and_end_with_and_their_negations() {
        assert!(m(BeginWith, "\\\\", "\\\\server\\share\\x.dll"));
        assert!(!m(BeginWith, "\\\\", "C:\\x.dll"));
        assert!(m(NotBeginWith, "C:\\Windows\\", "C:\\Users\\x.dll"));
        assert!(!m(NotBeginWith, "c:\\windows\\", "C:\\Windows\\x.dll"));
        assert!(m(EndWith, ".DLL", "C:\\x.dll"));
        assert!(!m(EndWith, ".dll", "C:\\x.dll.txt"));
        assert!(m(NotEndWith, ".exe", "C:\\x.dll"));
        assert!(!m(NotEndWith, ".exe", "C:\\x.EXE"));
    }

    #[test]
    fn less_and_more_than_compare_strings_not_numbers() {
        assert!(m(LessThan, "5", "443"), "'443' < '5' as strings");
        assert!(!m(MoreThan, "5", "443"));
        assert!(m(MoreThan, "1000", "445"));
        assert!(!m(LessThan, "a", "A"), "equal ignoring case is neither");
        assert!(!m(MoreThan, "a", "A"));
    }

    #[test]
    fn image_matches_the_file_name_unless_the_rule_names_a_folder() {
        assert!(m(
            Image,
            "rundll32.exe",
            "C:\\Windows\\System32\\RUNDLL32.exe"
        ));
        assert!(m(
            Image,
            "C:\\Windows\\System32\\rundll32.exe",
            "c:\\windows\\system32\\rundll32.exe"
        ));
        assert!(!m(
            Image,
            "C:\\Windows\\rundll32.exe",
            "C:\\Windows\\System32\\rundll32.exe"
        ));
        assert!(!m(Image, "rundll32", "C:\\Windows\\System32\\rundll32.exe"));
    }
}
