//! artifacthub/: generated, up to date, and carrying what Artifact Hub's Kubewarden kind reads.

use netsec_e2e::root;
use netsec_runner::artifacthub;
use netsec_runner::bundle;
use serde_json::Value;

#[test]
fn artifacthub_is_generated_and_up_to_date() {
    let policies = bundle::load_all(&root()).unwrap();
    let dir = root().join("artifacthub");
    let files = artifacthub::generate(&policies, &dir).unwrap();
    let differences = bundle::differences(&dir, &files, false).unwrap();
    assert!(
        differences.is_empty(),
        "run `make artifacthub` and commit artifacthub/:\n{}",
        differences.join("\n")
    );
    // Nothing else but packages of the policies (earlier versions included).
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        assert!(
            name == "artifacthub-repo.yml" || policies.iter().any(|p| p.name == name),
            "artifacthub/{name} belongs to no policy"
        );
    }
}

#[test]
fn packages_carry_the_kubewarden_fields() {
    for policy in bundle::load_all(&root()).unwrap() {
        let dir = root()
            .join("artifacthub")
            .join(&policy.name)
            .join(&policy.version);
        let file = dir.join("artifacthub-pkg.yml");
        let pkg: Value = serde_yaml::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let name = &policy.name;
        let annotation = |k: &str| policy.annotation(k).unwrap().to_string();

        assert_eq!(pkg["name"], name.as_str());
        assert_eq!(pkg["version"], policy.version.as_str());
        assert_eq!(pkg["displayName"], annotation("io.artifacthub.displayName"));
        assert_eq!(
            pkg["description"],
            annotation("io.kubewarden.policy.description")
        );
        assert_eq!(pkg["license"], annotation("io.kubewarden.policy.license"));
        assert_eq!(pkg["homeURL"], annotation("io.kubewarden.policy.url"));
        let created = pkg["createdAt"].as_str().unwrap();
        assert!(
            created.len() == 20 && created.ends_with('Z') && created.as_bytes()[10] == b'T',
            "{name}: createdAt {created:?} is not RFC 3339 UTC"
        );
        let image = format!(
            "{}:v{}",
            annotation("io.kubewarden.policy.ociUrl"),
            policy.version
        );
        assert_eq!(pkg["containersImages"][0]["image"], image.as_str());
        let keywords: Vec<&str> = pkg["keywords"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k.as_str().unwrap())
            .collect();
        assert!(
            keywords.contains(&"network security"),
            "{name}: {keywords:?}"
        );
        assert!(
            pkg["links"]
                .as_array()
                .unwrap()
                .iter()
                .any(|l| l["name"] == "source"
                    && l["url"] == annotation("io.kubewarden.policy.source").as_str())
        );
        assert!(!pkg["provider"]["name"].as_str().unwrap().is_empty());
        let install = pkg["install"].as_str().unwrap();
        assert!(
            install.contains(&format!("registry://{image}")),
            "{install}"
        );
        if let Some(maintainers) = pkg["maintainers"].as_array() {
            for m in maintainers {
                assert!(m["email"].as_str().unwrap().contains('@'), "{name}: {m}");
            }
        }

        let a = &pkg["annotations"];
        assert_eq!(
            a["kubewarden/mutation"],
            policy.metadata.mutating.to_string()
        );
        assert_eq!(
            a["kubewarden/resources"],
            annotation("io.artifacthub.resources")
        );
        let rules: Value = serde_yaml::from_str(a["kubewarden/rules"].as_str().unwrap()).unwrap();
        assert_eq!(rules, serde_json::to_value(&policy.metadata.rules).unwrap());
        match a.get("kubewarden/contextAwareResources") {
            None => assert!(policy.metadata.context_aware_resources.is_empty(), "{name}"),
            Some(text) => {
                let got: Value = serde_yaml::from_str(text.as_str().unwrap()).unwrap();
                assert_eq!(
                    got,
                    serde_json::to_value(&policy.metadata.context_aware_resources).unwrap()
                );
            }
        }
        assert_eq!(a["kubewarden/questions-ui"], policy.questions_text.as_str());
        assert!(
            a.as_object().unwrap().values().all(Value::is_string),
            "{name}: Artifact Hub annotations are strings"
        );
        assert_eq!(
            std::fs::read_to_string(dir.join("README.md")).unwrap(),
            policy.readme
        );
    }
}
