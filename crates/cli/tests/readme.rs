//! The README as a new user reads it: every link to a file of the project points at one that exists
//! inside the repository (a link out of it, such as the shared workspace's DESIGN.md, is broken for
//! anyone who cloned only the project), and the Install section's commands and features are real.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn readme() -> String {
    std::fs::read_to_string(root().join("README.md")).expect("README.md")
}

/// The targets of `[text](target)` links that are not web addresses or anchors.
fn local_links(md: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = md;
    while let Some(i) = rest.find("](") {
        rest = &rest[i + 2..];
        let Some(end) = rest.find(')') else { break };
        let target = rest[..end].split('#').next().unwrap_or_default().trim();
        if !target.is_empty() && !target.contains("://") && !target.starts_with("mailto:") {
            out.push(target.to_string());
        }
        rest = &rest[end..];
    }
    out
}

#[test]
fn every_local_link_points_inside_the_repository_at_a_file_that_exists() {
    let links = local_links(&readme());
    assert!(links.len() >= 5, "the README links its files: {links:?}");
    for l in &links {
        assert!(
            !l.starts_with("..") && !l.starts_with('/'),
            "{l} leaves the repository"
        );
        assert!(root().join(l).exists(), "{l} does not exist");
    }
}

#[test]
fn the_install_section_names_real_commands_and_features() {
    let md = readme();
    let install = md
        .split("## Install")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("an Install section");
    assert!(install.contains("cargo install --locked --path crates/cli "));
    assert!(install.contains("--no-default-features"));
    assert!(install.contains("Windows"));
    let cargo = std::fs::read_to_string(root().join("crates/cli/Cargo.toml")).unwrap();
    assert!(
        cargo.contains("name = \"dllhound\""),
        "crates/cli builds dllhound"
    );
    for feature in ["kafka", "mimalloc"] {
        assert!(
            install.contains(&format!("--features {feature}")),
            "{feature}"
        );
        assert!(
            cargo.contains(&format!("\n{feature} = [")),
            "the feature {feature} exists"
        );
    }
    // The two set-up commands come first, in Quick start.
    let quick = md.find("## Quick start").expect("Quick start");
    assert!(quick < md.find("## Install").unwrap());
}

/// The README's Export section: the exactness matrix is what `export --explain all` prints, and the
/// exported EQL rule set and Sentinel rule it shows are what their commands write today.
#[test]
fn the_export_section_shows_what_the_commands_print() {
    let md = readme();
    let export = md
        .split("\n## Export\n")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("an Export section");
    let run = |args: &[&str]| {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_dllhound"))
            .args(args)
            .current_dir(root())
            .output()
            .expect("run dllhound");
        assert!(o.status.success(), "{args:?}");
        String::from_utf8(o.stdout).expect("UTF-8")
    };
    let matrix = run(&["export", "--explain", "all"]);
    assert!(
        export.contains(&matrix),
        "the matrix differs from `export --explain all`:\n{matrix}"
    );
    // Each shown command is followed by its output block.
    let mut shown = 0;
    for block in export.split("```sh\n").skip(1) {
        let Some((cmd, after)) = block.split_once("\n```") else {
            continue;
        };
        if cmd.lines().count() != 1 || !cmd.contains("--path-classes examples/export/") {
            continue;
        }
        let args: Vec<&str> = cmd.split_whitespace().skip(1).collect();
        let output = after
            .split_once("```text\n")
            .or_else(|| after.split_once("```yaml\n"))
            .and_then(|(_, b)| b.split_once("```"))
            .map(|(o, _)| o)
            .expect("an output block after the command");
        assert_eq!(
            output,
            run(&args),
            "the README's output of `{cmd}` is stale"
        );
        shown += 1;
    }
    assert_eq!(shown, 2, "the EQL rule set and the Sentinel rule are shown");
}
