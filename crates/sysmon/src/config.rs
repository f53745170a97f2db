//! A Sysmon configuration read into the sections Sysmon's rule compiler builds from it
//! (SysmonCommon `xml.cpp`): for each event type, every element of that name anywhere under
//! `/Sysmon/EventFiltering`, with its `onmatch`, how its rules combine, and its rules in order.

use crate::condition::Condition;
use crate::schema::{self, EventType, SchemaVersion};
use std::ops::Range;

/// `onmatch="include"`: log what matches; `onmatch="exclude"`: log all but what matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnMatch {
    Include,
    Exclude,
}

impl OnMatch {
    pub fn as_str(self) -> &'static str {
        match self {
            OnMatch::Include => "include",
            OnMatch::Exclude => "exclude",
        }
    }
}

/// How the rules of a section (or of a compound `<Rule>`) combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Combine {
    And,
    Or,
    /// A `<Rule>` without `groupRelation`: Sysmon's engine ends such a group with "no match".
    Unset,
}

/// One field condition: `<ImageLoaded condition="contains">\Temp\</ImageLoaded>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub field: String,
    pub condition: Condition,
    pub value: String,
    /// Its own `name`, else its `<Rule>`'s, else its `<RuleGroup>`'s.
    pub name: Option<String>,
    pub line: u32,
    /// Byte range of the element in the configuration text.
    pub range: Range<usize>,
}

/// A section's entry: a field condition, or a compound `<Rule>` of several.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Filter(Filter),
    Compound {
        combine: Combine,
        name: Option<String>,
        line: u32,
        range: Range<usize>,
        filters: Vec<Filter>,
    },
}

impl Item {
    pub fn line(&self) -> u32 {
        match self {
            Item::Filter(f) => f.line,
            Item::Compound { line, .. } => *line,
        }
    }
    pub fn range(&self) -> Range<usize> {
        match self {
            Item::Filter(f) => f.range.clone(),
            Item::Compound { range, .. } => range.clone(),
        }
    }
    pub fn name(&self) -> Option<&str> {
        match self {
            Item::Filter(f) => f.name.as_deref(),
            Item::Compound { name, .. } => name.as_deref(),
        }
    }
}

/// One event-type element: `<ImageLoad onmatch="include">…</ImageLoad>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub event: &'static EventType,
    pub onmatch: OnMatch,
    pub combine: Combine,
    /// The enclosing `<RuleGroup>`'s name.
    pub group_name: Option<String>,
    pub line: u32,
    pub range: Range<usize>,
    pub items: Vec<Item>,
}

/// A configuration, ready to evaluate.
#[derive(Debug, Clone)]
pub struct SysmonConfig {
    pub schema_version: SchemaVersion,
    /// Byte range of the `schemaversion` attribute's value.
    pub schema_range: Range<usize>,
    /// Sections of the event types AN0052 needs, in document order. Types the schema version
    /// does not know are left out, as Sysmon leaves them out.
    pub sections: Vec<Section>,
    /// Sections present in the file but unknown to its schema version (event type, line).
    pub ignored_for_schema: Vec<(&'static EventType, u32)>,
    /// Byte offset just before `</EventFiltering>` (where additions go), and the indentation of
    /// its children.
    pub insert_at: usize,
    pub indent: String,
    /// Additions must bring their own `<EventFiltering>` (the file has none, or an empty
    /// `<EventFiltering/>`, which `replace` then names).
    pub wrap: bool,
    pub replace: Option<Range<usize>>,
    /// Every event-type element directly under `<EventFiltering>` (any type, not only AN0052's),
    /// and the byte offset after `<RuleGroup` of each group without `groupRelation`: the places
    /// whose rules combine by the schema's default (OR at 4.1 and below, AND above).
    pub ungrouped: Vec<Range<usize>>,
    pub groups_without_relation: Vec<usize>,
}

/// A configuration Sysmon itself would refuse, or that is not XML.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    #[error("not well-formed XML: {0}")]
    Xml(roxmltree::Error),
    #[error("the root element is <{0}>, not <Sysmon>")]
    NotSysmon(String),
    #[error("<Sysmon> has no schemaversion attribute")]
    NoSchema,
    #[error("schemaversion {0:?} is not a version number")]
    BadSchema(String),
    #[error("line {line}: <{event}> needs onmatch=\"include\" or onmatch=\"exclude\"")]
    NoOnMatch { line: u32, event: String },
    #[error("line {line}: <{event}> has onmatch={value:?}; Sysmon knows include and exclude")]
    BadOnMatch {
        line: u32,
        event: String,
        value: String,
    },
    #[error("line {line}: <{event}> has no field {field:?}; Sysmon refuses the configuration (\"Incorrect field\")")]
    UnknownField {
        line: u32,
        event: String,
        field: String,
    },
    #[error("line {line}: unknown condition {condition:?} (known: is, is not, is any, contains, contains any, contains all, excludes, excludes any, excludes all, begin with, not begin with, end with, not end with, less than, more than, image)")]
    UnknownCondition { line: u32, condition: String },
}

fn is(n: roxmltree::Node, name: &str) -> bool {
    n.is_element() && n.tag_name().name().eq_ignore_ascii_case(name)
}

/// A field element's value as libxml2's `xmlNodeListGetString` gives it: its text children,
/// entities decoded, comments skipped, not trimmed.
fn text_of(n: roxmltree::Node) -> String {
    n.children()
        .filter(|c| c.is_text())
        .filter_map(|c| c.text())
        .collect()
}

impl SysmonConfig {
    /// Reads a configuration.
    pub fn parse(text: &str) -> Result<SysmonConfig, ConfigError> {
        let doc = roxmltree::Document::parse_with_options(
            text,
            roxmltree::ParsingOptions {
                allow_dtd: true,
                ..Default::default()
            },
        )
        .map_err(ConfigError::Xml)?;
        let root = doc.root_element();
        if root.tag_name().name() != "Sysmon" {
            return Err(ConfigError::NotSysmon(root.tag_name().name().to_string()));
        }
        let attr = root
            .attributes()
            .find(|a| a.name() == "schemaversion")
            .ok_or(ConfigError::NoSchema)?;
        let schema_version = SchemaVersion::parse(attr.value())
            .ok_or_else(|| ConfigError::BadSchema(attr.value().to_string()))?;
        let schema_range = attr.range_value();
        let filtering = root
            .children()
            .find(|c| c.is_element() && c.tag_name().name() == "EventFiltering");
        let line = |pos: usize| doc.text_pos_at(pos).row;

        let mut sections = Vec::new();
        let mut ignored_for_schema = Vec::new();
        // No <EventFiltering>: no sections, every type keeps its default (as Sysmon does).
        let nodes = filtering.into_iter().flat_map(|f| f.descendants());
        for n in nodes.filter(|n| n.is_element()) {
            let Some(event) = schema::by_rule_name(n.tag_name().name()) else {
                continue;
            };
            let at = line(n.range().start);
            if schema_version < event.since {
                ignored_for_schema.push((event, at));
                continue;
            }
            sections.push(section(n, event, schema_version, &line)?);
        }

        let mut ungrouped = Vec::new();
        let mut groups_without_relation = Vec::new();
        for c in filtering
            .iter()
            .flat_map(|f| f.children())
            .filter(|c| c.is_element())
        {
            if is(c, "RuleGroup") {
                if c.attribute("groupRelation").is_none() {
                    let start = c.range().start;
                    groups_without_relation.push(start + 1 + c.tag_name().name().len());
                }
            } else {
                ungrouped.push(c.range());
            }
        }
        let (insert_at, indent, wrap, replace) = match filtering {
            Some(f) if text[f.range()].contains("</EventFiltering") => {
                let (at, indent) = insertion_point(text, f);
                (at, indent, false, None)
            }
            Some(f) => (f.range().start, "  ".into(), true, Some(f.range())),
            None => {
                let r = root.range();
                let at = text[r.clone()]
                    .rfind("</Sysmon")
                    .map_or(r.end, |i| r.start + i);
                (at, "  ".into(), true, None)
            }
        };
        Ok(SysmonConfig {
            schema_version,
            schema_range,
            sections,
            ignored_for_schema,
            insert_at,
            indent,
            wrap,
            replace,
            ungrouped,
            groups_without_relation,
        })
    }

    /// The sections for one event type, exclude sections first (Sysmon tries them first).
    pub fn sections_for(&self, event_id: u16) -> Vec<&Section> {
        let mut v: Vec<&Section> = self
            .sections
            .iter()
            .filter(|s| s.event.event_id == event_id)
            .collect();
        v.sort_by_key(|s| s.onmatch == OnMatch::Include);
        v
    }
}

fn combine_attr(n: roxmltree::Node) -> Option<Combine> {
    n.attribute("groupRelation").map(|g| {
        if g.eq_ignore_ascii_case("or") {
            Combine::Or
        } else {
            Combine::And
        }
    })
}

fn section(
    n: roxmltree::Node,
    event: &'static EventType,
    schema: SchemaVersion,
    line: &dyn Fn(usize) -> u32,
) -> Result<Section, ConfigError> {
    let at = line(n.range().start);
    let parent = n.parent().filter(|p| is(*p, "RuleGroup"));
    // Outside a RuleGroup, and in a RuleGroup without groupRelation: AND above schema 4.1, OR at
    // 4.1 and below (Sysmon's backward compatibility).
    let default = if schema > SchemaVersion::from_thousandths(4100) {
        Combine::And
    } else {
        Combine::Or
    };
    let combine = parent.and_then(combine_attr).unwrap_or(default);
    let group_name = parent
        .and_then(|p| p.attribute("name"))
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    let onmatch = match (n.attribute("onmatch"), n.attribute("default")) {
        (Some(m), _) => match m.to_ascii_lowercase().as_str() {
            "include" => OnMatch::Include,
            "exclude" => OnMatch::Exclude,
            _ => {
                return Err(ConfigError::BadOnMatch {
                    line: at,
                    event: event.rule_name.into(),
                    value: m.into(),
                })
            }
        },
        // The older `default` attribute says what happens to what does not match.
        (None, Some(d)) => match d.to_ascii_lowercase().as_str() {
            "include" => OnMatch::Exclude,
            "exclude" => OnMatch::Include,
            _ => {
                return Err(ConfigError::BadOnMatch {
                    line: at,
                    event: event.rule_name.into(),
                    value: d.into(),
                })
            }
        },
        (None, None) => {
            return Err(ConfigError::NoOnMatch {
                line: at,
                event: event.rule_name.into(),
            })
        }
    };
    let mut items = Vec::new();
    for c in n.children().filter(|c| c.is_element()) {
        if is(c, "Rule") {
            let name = c
                .attribute("name")
                .map(str::to_string)
                .or_else(|| group_name.clone());
            let mut filters = Vec::new();
            for f in c.children().filter(|f| f.is_element()) {
                filters.push(filter(f, event, name.as_deref(), line)?);
            }
            items.push(Item::Compound {
                combine: combine_attr(c).unwrap_or(Combine::Unset),
                name,
                line: line(c.range().start),
                range: c.range(),
                filters,
            });
        } else {
            items.push(Item::Filter(filter(c, event, group_name.as_deref(), line)?));
        }
    }
    Ok(Section {
        event,
        onmatch,
        combine,
        group_name,
        line: at,
        range: n.range(),
        items,
    })
}

fn filter(
    f: roxmltree::Node,
    event: &'static EventType,
    inherited: Option<&str>,
    line: &dyn Fn(usize) -> u32,
) -> Result<Filter, ConfigError> {
    let at = line(f.range().start);
    let field = f.tag_name().name();
    if !event.fields.contains(&field) {
        return Err(ConfigError::UnknownField {
            line: at,
            event: event.rule_name.into(),
            field: field.into(),
        });
    }
    let cond = f.attribute("condition");
    let condition = Condition::parse(cond).ok_or_else(|| ConfigError::UnknownCondition {
        line: at,
        condition: cond.unwrap_or_default().into(),
    })?;
    Ok(Filter {
        field: field.to_string(),
        condition,
        value: text_of(f),
        name: f
            .attribute("name")
            .map(str::to_string)
            .or_else(|| inherited.map(str::to_string)),
        line: at,
        range: f.range(),
    })
}

/// Where new rule groups go: just before `</EventFiltering>`, indented like its first child.
fn insertion_point(text: &str, filtering: roxmltree::Node) -> (usize, String) {
    let r = filtering.range();
    let body = &text[r.clone()];
    let at = body
        .rfind("</EventFiltering")
        .map_or(r.end, |i| r.start + i);
    let indent = filtering
        .children()
        .find(|c| c.is_element())
        .map(|c| {
            let start = c.range().start;
            let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
            text[line_start..start]
                .chars()
                .take_while(|c| c.is_whitespace())
                .collect()
        })
        .unwrap_or_else(|| "  ".to_string());
    (at, indent)
}
