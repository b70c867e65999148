//! The `netsec` command line, as a user runs it.

use std::process::Command;

use netsec_e2e::{dist_module, netsec, root};
use serde_json::Value;

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(netsec())
        .args(args)
        .current_dir(root())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn run_prints_a_kwctl_shaped_response() {
    let module = dist_module("ingress-tls");
    let module = module.to_str().unwrap();
    let (code, stdout, _) = run(&[
        "run",
        "--request-path",
        "policies/ingress-tls/test_data/ingress-uncovered-review.json",
        module,
    ]);
    assert_eq!(code, 0, "a rejection still exits 0, as with kwctl");
    assert_eq!(stdout.lines().count(), 1, "one compact JSON line: {stdout}");
    let response: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(response["uid"], "7f1c0e4a-0002");
    assert_eq!(response["allowed"], false);
    assert!(
        response["status"]["message"]
            .as_str()
            .unwrap()
            .contains("admin.example.com")
    );
    for key in ["auditAnnotations", "warnings"] {
        assert!(
            response.get(key).is_some_and(Value::is_null),
            "{key} is null: {stdout}"
        );
    }

    let (code, stdout, _) = run(&[
        "run",
        "-r",
        "policies/ingress-tls/test_data/ingress-covered.json",
        "--settings-json",
        r#"{"allowedHostSuffixes": ["example.com"]}"#,
        module,
    ]);
    assert_eq!(code, 0);
    assert!(stdout.contains(r#""allowed":true"#), "{stdout}");
}

#[test]
fn run_with_invalid_settings_exits_1() {
    let module = dist_module("ingress-tls");
    let (code, stdout, stderr) = run(&[
        "run",
        "--settings-json",
        r#"{"allowedHostSuffixes": ["*.example.com"]}"#,
        "--request-path",
        "policies/ingress-tls/test_data/ingress-covered.json",
        module.to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    assert!(stdout.is_empty());
    assert!(
        stderr.contains("Provided settings are not valid: allowedHostSuffixes[0]"),
        "{stderr}"
    );
}

#[test]
fn inspect_shows_the_metadata() {
    let module = dist_module("ingress-tls");
    let (code, stdout, _) = run(&["inspect", module.to_str().unwrap()]);
    assert_eq!(code, 0);
    for want in [
        "ingress-tls",
        "protocol version:       v1",
        "ingresses",
        "Usage",
        "# ingress-tls",
    ] {
        assert!(stdout.contains(want), "{want} missing from:\n{stdout}");
    }
    let (code, stdout, _) = run(&["inspect", "-o", "json", module.to_str().unwrap()]);
    assert_eq!(code, 0);
    let json: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["mutating"], false);
}

#[test]
fn check_reports_and_exits_nonzero_on_failure() {
    let module = dist_module("ingress-tls");
    let (code, stdout, _) = run(&[
        "check",
        "--policy",
        module.to_str().unwrap(),
        "policies/ingress-tls/scenarios.yaml",
    ]);
    assert_eq!(code, 0, "{stdout}");
    let last = stdout.lines().last().unwrap();
    assert!(last.ends_with(" passed, 0 failed"), "{last}");
    assert!(stdout.lines().filter(|l| l.starts_with("ok ")).count() >= 35);
}
