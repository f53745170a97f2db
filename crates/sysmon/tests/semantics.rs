//! Sysmon's filtering semantics, one test per precedence rule, on small configurations written
//! here (the operators themselves are tested in `condition.rs`).

use dllhound_detect::PathClasses;
use dllhound_sysmon::eval::{decide, Decider};
use dllhound_sysmon::{evaluate, probes, suggest, ConfigError, SysmonConfig};

fn cfg(schema: &str, filtering: &str) -> SysmonConfig {
    let text = format!("<Sysmon schemaversion=\"{schema}\">\n<EventFiltering>\n{filtering}\n</EventFiltering>\n</Sysmon>\n");
    SysmonConfig::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

fn ev(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn temp_load() -> Vec<(String, String)> {
    ev(&[
        ("Image", "C:\\Windows\\System32\\rundll32.exe"),
        ("ImageLoaded", "C:\\Users\\a\\AppData\\Local\\Temp\\x.dll"),
        ("Signed", "false"),
    ])
}

fn logged(c: &SysmonConfig, id: u16, e: &[(String, String)]) -> bool {
    decide(c, id, e).logged
}

#[test]
fn exclude_sections_win_over_include_sections_whatever_their_order() {
    let c = cfg(
        "4.90",
        r#"<RuleGroup groupRelation="or"><ImageLoad onmatch="include"><ImageLoaded condition="contains">\Temp\</ImageLoaded></ImageLoad></RuleGroup>
           <RuleGroup groupRelation="or"><ImageLoad onmatch="exclude"><Image condition="image">rundll32.exe</Image></ImageLoad></RuleGroup>"#,
    );
    let d = decide(&c, 7, &temp_load());
    assert!(!d.logged);
    match d.decider {
        Decider::Matched { section, item } => {
            assert_eq!(section.line, 4);
            assert_eq!(item.unwrap().line(), 4);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_type_without_a_section_keeps_sysmons_default() {
    let c = cfg("4.90", "");
    assert!(
        logged(&c, 1, &ev(&[("Image", "C:\\x.exe")])),
        "process creation is on by default"
    );
    for id in [3, 7, 11, 15, 22, 29] {
        assert!(
            !logged(&c, id, &ev(&[])),
            "event {id} is off without a section"
        );
    }
}

#[test]
fn an_empty_include_logs_nothing_and_an_empty_exclude_everything() {
    let c = cfg(
        "4.90",
        r#"<RuleGroup groupRelation="or"><ImageLoad onmatch="include"/></RuleGroup>"#,
    );
    assert!(!logged(&c, 7, &temp_load()));
    let c = cfg(
        "4.90",
        r#"<RuleGroup groupRelation="or"><ImageLoad onmatch="exclude"/></RuleGroup>"#,
    );
    assert!(logged(&c, 7, &temp_load()));
}

#[test]
fn unmatched_events_follow_the_only_section_or_are_dropped_among_several() {
    let exclude = r#"<RuleGroup groupRelation="or"><ImageLoad onmatch="exclude"><Image condition="image">svchost.exe</Image></ImageLoad></RuleGroup>"#;
    let include = r#"<RuleGroup groupRelation="or"><ImageLoad onmatch="include"><Image condition="image">svchost.exe</Image></ImageLoad></RuleGroup>"#;
    assert!(
        logged(&cfg("4.90", exclude), 7, &temp_load()),
        "one exclude section: the rest is logged"
    );
    assert!(
        !logged(&cfg("4.90", include), 7, &temp_load()),
        "one include section: the rest is dropped"
    );
    let both = format!("{exclude}\n{include}");
    assert!(!logged(&cfg("4.90", &both), 7, &temp_load()));
    // Two exclude sections and nothing else: Sysmon's engine drops what neither matches.
    let two = format!("{exclude}\n{exclude}");
    let c2 = cfg("4.90", &two);
    let d = decide(&c2, 7, &temp_load());
    assert!(!d.logged);
    assert!(matches!(d.decider, Decider::NoneOfSeveral(ref s) if s.len() == 2));
}

#[test]
fn and_sections_need_every_field_but_or_rules_on_the_same_field() {
    let c = cfg(
        "4.90",
        r#"<RuleGroup groupRelation="and"><ImageLoad onmatch="include">
             <ImageLoaded condition="contains">\ProgramData\</ImageLoaded>
             <ImageLoaded condition="contains">\Temp\</ImageLoaded>
             <Signed condition="is">false</Signed>
           </ImageLoad></RuleGroup>"#,
    );
    assert!(
        logged(&c, 7, &temp_load()),
        "second ImageLoaded rule matches, Signed matches"
    );
    let signed = ev(&[("ImageLoaded", "C:\\Temp\\x.dll"), ("Signed", "true")]);
    assert!(
        !logged(&c, 7, &signed),
        "Signed fails: the AND section fails"
    );
    let elsewhere = ev(&[("ImageLoaded", "C:\\Windows\\x.dll"), ("Signed", "false")]);
    assert!(!logged(&c, 7, &elsewhere), "no ImageLoaded rule matches");
}

#[test]
fn sections_outside_a_rule_group_are_and_above_schema_4_1_and_or_at_4_1() {
    let body = r#"<ImageLoad onmatch="include">
        <ImageLoaded condition="contains">\Temp\</ImageLoaded>
        <Image condition="image">explorer.exe</Image>
      </ImageLoad>"#;
    assert!(
        !logged(&cfg("4.22", body), 7, &temp_load()),
        "AND: Image is rundll32"
    );
    assert!(logged(&cfg("4.1", body), 7, &temp_load()), "OR at 4.1");
    // A RuleGroup without groupRelation keeps the schema's default; with one, it decides.
    let group = |rel: &str| format!("<RuleGroup {rel}>{body}</RuleGroup>");
    assert!(!logged(&cfg("4.90", &group("")), 7, &temp_load()));
    assert!(logged(
        &cfg("4.90", &group("groupRelation=\"or\"")),
        7,
        &temp_load()
    ));
    assert!(!logged(
        &cfg("4.1", &group("groupRelation=\"and\"")),
        7,
        &temp_load()
    ));
}

#[test]
fn compound_rules_combine_by_their_own_relation_and_an_unset_one_never_matches() {
    let rule = |rel: &str| {
        format!(
            r#"<RuleGroup groupRelation="or"><ImageLoad onmatch="include">
                 <Rule name="temp and unsigned" {rel}>
                   <ImageLoaded condition="contains">\Temp\</ImageLoaded>
                   <Signed condition="is">true</Signed>
                 </Rule>
               </ImageLoad></RuleGroup>"#
        )
    };
    assert!(!logged(
        &cfg("4.90", &rule("groupRelation=\"and\"")),
        7,
        &temp_load()
    ));
    let c = cfg("4.90", &rule("groupRelation=\"or\""));
    let d = decide(&c, 7, &temp_load());
    assert!(d.logged);
    match d.decider {
        Decider::Matched { item: Some(i), .. } => assert_eq!(i.name(), Some("temp and unsigned")),
        other => panic!("{other:?}"),
    }
    assert!(!logged(&cfg("4.90", &rule("")), 7, &temp_load()));
}

#[test]
fn values_compare_case_insensitively_but_element_names_are_exact() {
    let c = cfg(
        "4.90",
        r#"<RuleGroup groupRelation="or"><ImageLoad onmatch="include"><ImageLoaded condition="CONTAINS">\TEMP\</ImageLoaded></ImageLoad></RuleGroup>"#,
    );
    assert!(logged(&c, 7, &temp_load()));
    // <imageload> is not the ImageLoad type: no section, so event 7 is off.
    let c = cfg(
        "4.90",
        r#"<RuleGroup groupRelation="or"><imageload onmatch="exclude"/></RuleGroup>"#,
    );
    assert!(!logged(&c, 7, &temp_load()));
}

#[test]
fn event_types_newer_than_the_schema_are_not_logged() {
    let dns = r#"<RuleGroup groupRelation="or"><DnsQuery onmatch="exclude"/></RuleGroup>"#;
    let q = ev(&[("QueryName", "x.example")]);
    assert!(!logged(&cfg("4.2", dns), 22, &q));
    assert!(logged(&cfg("4.21", dns), 22, &q));
    let exe =
        r#"<RuleGroup groupRelation="or"><FileExecutableDetected onmatch="exclude"/></RuleGroup>"#;
    assert!(matches!(
        decide(&cfg("4.83", exe), 29, &q).decider,
        Decider::SchemaTooOld
    ));
    assert!(logged(&cfg("4.90", exe), 29, &q));
}

#[test]
fn the_older_default_attribute_says_what_happens_to_what_does_not_match() {
    let c = cfg(
        "3.4",
        r#"<ImageLoad default="include"><Image condition="image">explorer.exe</Image></ImageLoad>"#,
    );
    assert!(
        logged(&c, 7, &temp_load()),
        "default=include is onmatch=exclude"
    );
}

#[test]
fn sections_count_at_any_depth_under_event_filtering() {
    let c = cfg(
        "4.90",
        r#"<Wrapper><RuleGroup groupRelation="or"><ImageLoad onmatch="exclude"/></RuleGroup></Wrapper>"#,
    );
    assert!(logged(&c, 7, &temp_load()));
}

#[test]
fn configurations_sysmon_refuses_are_errors_that_say_where() {
    let bad = |body: &str| {
        let t = format!(
            "<Sysmon schemaversion=\"4.90\"><EventFiltering>\n{body}\n</EventFiltering></Sysmon>"
        );
        SysmonConfig::parse(&t).unwrap_err()
    };
    match bad(r#"<ImageLoad onmatch="include"><Path condition="is">x</Path></ImageLoad>"#) {
        ConfigError::UnknownField { line, field, .. } => {
            assert_eq!((line, field.as_str()), (2, "Path"))
        }
        e => panic!("{e}"),
    }
    assert!(matches!(
        bad(r#"<ImageLoad onmatch="include"><Image condition="regex">x</Image></ImageLoad>"#),
        ConfigError::UnknownCondition { line: 2, .. }
    ));
    assert!(matches!(
        bad(r#"<ImageLoad><Image>x</Image></ImageLoad>"#),
        ConfigError::NoOnMatch { line: 2, .. }
    ));
    assert!(matches!(
        SysmonConfig::parse("<Sysmon><EventFiltering/></Sysmon>"),
        Err(ConfigError::NoSchema)
    ));
    assert!(matches!(
        SysmonConfig::parse("<Other schemaversion=\"4.90\"/>"),
        Err(ConfigError::NotSysmon(_))
    ));
    assert!(matches!(
        SysmonConfig::parse("<Sysmon schemaversion=\"4.90\">"),
        Err(ConfigError::Xml(_))
    ));
}

/// A configuration that logs no image loads, excludes Office's writes and rundll32's network:
/// the suggestion adds image-load rules and removes the two excludes (one OR rule, one AND
/// section), and the result logs every shipped probe.
#[test]
fn the_suggestion_removes_the_excludes_that_hide_probes_and_adds_what_is_missing() {
    let text = r#"<Sysmon schemaversion="4.90">
  <EventFiltering>
    <RuleGroup name="writes" groupRelation="or">
      <FileCreate onmatch="exclude">
        <Image name="office noise" condition="image">WINWORD.EXE</Image>
        <TargetFilename condition="end with">.log</TargetFilename>
      </FileCreate>
    </RuleGroup>
    <RuleGroup name="net" groupRelation="and">
      <NetworkConnect onmatch="exclude">
        <Image condition="image">rundll32.exe</Image>
        <DestinationPort condition="is">443</DestinationPort>
      </NetworkConnect>
    </RuleGroup>
    <RuleGroup groupRelation="or">
      <ProcessCreate onmatch="exclude"/>
    </RuleGroup>
  </EventFiltering>
</Sysmon>
"#;
    let c = SysmonConfig::parse(text).unwrap();
    let table = probes::builtin();
    let before = evaluate("t.xml", &c, &table);
    assert_eq!(before.verdict("trigger_path"), Some("not_logged"));
    let s = suggest::suggest(text, &c, &table, &PathClasses::builtin());
    assert!(s.remaining.is_empty(), "{:?}", s.remaining);
    let lines: Vec<u32> = s.removals.iter().map(|r| r.line).collect();
    assert_eq!(lines, vec![5, 10], "{:#?}", s.removals);
    assert_eq!(s.removals[0].name.as_deref(), Some("office noise"));
    assert!(s.removals[0]
        .probes
        .contains(&"write-temp-office".to_string()));
    // The FileCreate and NetworkConnect types log all but their excludes: no include added
    // there (that would stop logging everything else).
    let events: Vec<&str> = s.additions.iter().map(|a| a.event).collect();
    assert!(
        !events.contains(&"FileCreate") && !events.contains(&"NetworkConnect"),
        "{events:?}"
    );
    assert!(events.contains(&"ImageLoad"));
    let fixed = suggest::apply(text, &c, &s);
    assert!(!fixed.contains("office noise"));
    assert!(
        fixed.contains(".log</TargetFilename>"),
        "the other exclude stays"
    );
    let after = evaluate("fixed.xml", &SysmonConfig::parse(&fixed).unwrap(), &table);
    assert!(after.all_logged(), "{fixed}\n{:#?}", after.parts);
    // Nothing left to suggest on the fixed configuration.
    let again = suggest::suggest(
        &fixed,
        &SysmonConfig::parse(&fixed).unwrap(),
        &table,
        &PathClasses::builtin(),
    );
    assert!(again.is_empty(), "{again:#?}");
}

#[test]
fn without_event_filtering_every_type_keeps_its_default_and_the_fix_brings_one() {
    let probes = probes::builtin();
    for text in [
        "<Sysmon schemaversion=\"4.90\">\n  <HashAlgorithms>sha256</HashAlgorithms>\n</Sysmon>\n",
        "<Sysmon schemaversion=\"4.90\">\n  <EventFiltering/>\n</Sysmon>\n",
    ] {
        let c = SysmonConfig::parse(text).unwrap();
        let r = evaluate("t", &c, &probes);
        assert_eq!(r.verdict("follow_on_exec"), Some("logged"), "{text}");
        assert_eq!(r.verdict("trigger_path"), Some("not_logged"), "{text}");
        let s = suggest::suggest(text, &c, &probes, &PathClasses::builtin());
        assert!(s.remaining.is_empty(), "{text}: {:?}", s.remaining);
        let fixed = suggest::apply(text, &c, &s);
        assert_eq!(fixed.matches("<EventFiltering").count(), 1, "{fixed}");
    }
}

#[test]
fn an_old_schema_is_raised_and_its_ungrouped_rules_keep_combining_with_or() {
    // At 4.1 this include section ORs its two rules: rundll32 and regsvr32 both log. Above 4.1
    // it would AND them (nothing logs), so the raise wraps it in an OR group.
    let text = "<Sysmon schemaversion=\"4.1\"><EventFiltering>\n<ProcessCreate onmatch=\"include\">\n<Image condition=\"image\">rundll32.exe</Image>\n<CommandLine condition=\"contains\">regsvr32</CommandLine>\n<OriginalFileName condition=\"is\">RUNDLL32.EXE</OriginalFileName>\n</ProcessCreate>\n<RuleGroup><NetworkConnect onmatch=\"exclude\"/></RuleGroup>\n</EventFiltering></Sysmon>";
    let c = SysmonConfig::parse(text).unwrap();
    let table = probes::builtin();
    assert_eq!(
        evaluate("t", &c, &table).verdict("follow_on_exec"),
        Some("logged")
    );
    let s = suggest::suggest(text, &c, &table, &PathClasses::builtin());
    assert_eq!(s.schema_version.as_deref(), Some("4.90"));
    assert!(
        s.notes.iter().any(|n| n.contains("keep combining with OR")),
        "{:?}",
        s.notes
    );
    assert!(s.remaining.is_empty(), "{:?}", s.remaining);
    let fixed = suggest::apply(text, &c, &s);
    assert!(fixed.starts_with("<Sysmon schemaversion=\"4.90\">"));
    assert!(
        fixed.contains("<RuleGroup groupRelation=\"or\"><ProcessCreate onmatch=\"include\">"),
        "{fixed}"
    );
    assert!(
        fixed.contains("<RuleGroup groupRelation=\"or\"><NetworkConnect"),
        "{fixed}"
    );
    let after = evaluate("f", &SysmonConfig::parse(&fixed).unwrap(), &table);
    assert!(after.all_logged(), "{fixed}\n{:#?}", after.parts);
}
