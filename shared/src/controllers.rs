//! Which ingress controller serves an Ingress: the kinds of controller the policies know, the
//! `controllers` setting that maps ingress classes to them, and the resolution of an Ingress's
//! class through that map.
//!
//! Controller annotations only mean something to their own controller, so a policy that reads
//! them must first know whose they are. The class (`spec.ingressClassName`, else the deprecated
//! `kubernetes.io/ingress.class` annotation) names an IngressClass, whose controller an admission
//! policy cannot see: the administrator maps class names to kinds instead.

use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};

use crate::ingress::Ingress;

/// A kind of ingress controller, as the `controllers` setting names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    IngressNginx,
    NginxInc,
    Traefik,
    Haproxy,
    HaproxyIngress,
    Kong,
}

impl Kind {
    pub const ALL: [Kind; 6] = [
        Kind::IngressNginx,
        Kind::NginxInc,
        Kind::Traefik,
        Kind::Haproxy,
        Kind::HaproxyIngress,
        Kind::Kong,
    ];

    /// The setting value.
    pub fn name(self) -> &'static str {
        match self {
            Kind::IngressNginx => "ingress-nginx",
            Kind::NginxInc => "nginx-inc",
            Kind::Traefik => "traefik",
            Kind::Haproxy => "haproxy",
            Kind::HaproxyIngress => "haproxy-ingress",
            Kind::Kong => "kong",
        }
    }

    /// The controller's own name, for messages.
    pub fn label(self) -> &'static str {
        match self {
            Kind::IngressNginx => "ingress-nginx",
            Kind::NginxInc => "F5 NGINX Ingress Controller",
            Kind::Traefik => "Traefik",
            Kind::Haproxy => "HAProxy Kubernetes Ingress (haproxytech)",
            Kind::HaproxyIngress => "HAProxy Ingress (haproxy-ingress)",
            Kind::Kong => "Kong Ingress Controller",
        }
    }

    /// Controllers whose Ingress limits are counted by each replica on its own (nginx zones and
    /// HAProxy stick tables are local to the process), so N replicas admit N times the limit.
    pub fn limits_per_replica(self) -> bool {
        matches!(
            self,
            Kind::IngressNginx | Kind::NginxInc | Kind::Haproxy | Kind::HaproxyIngress
        )
    }

    /// The annotation prefixes the controller reads by default, in its order of precedence.
    /// ingress-nginx's can be changed with its `--annotations-prefix` flag.
    pub fn prefixes(self) -> &'static [&'static str] {
        match self {
            Kind::IngressNginx => &[NGINX_PREFIX],
            Kind::NginxInc => &["nginx.org/"],
            Kind::Traefik => &["traefik.ingress.kubernetes.io/"],
            Kind::Haproxy => &["haproxy.org/", "haproxy.com/", "ingress.kubernetes.io/"],
            Kind::HaproxyIngress => &["haproxy-ingress.github.io/", "ingress.kubernetes.io/"],
            Kind::Kong => &["konghq.com/"],
        }
    }
}

/// ingress-nginx's default annotation prefix.
pub const NGINX_PREFIX: &str = "nginx.ingress.kubernetes.io/";

/// Traefik's list of the router's middlewares, `<namespace>-<name>@<provider>`, comma-separated.
pub const TRAEFIK_MIDDLEWARES: &str = "traefik.ingress.kubernetes.io/router.middlewares";

/// Kong's list of the KongPlugins applied to the Ingress, comma-separated.
pub const KONG_PLUGINS: &str = "konghq.com/plugins";

/// The `controllers` setting: ingress class name to kind, sorted by class. The default maps the
/// classes the controllers' charts install: `nginx`, `traefik`, `haproxy` and `kong`; a setting
/// replaces it as a whole.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ControllerMap(pub Vec<(String, Kind)>);

impl Default for ControllerMap {
    fn default() -> Self {
        // Sorted by class, as kind_of searches it.
        ControllerMap(
            [
                ("haproxy", Kind::Haproxy),
                ("kong", Kind::Kong),
                ("nginx", Kind::IngressNginx),
                ("traefik", Kind::Traefik),
            ]
            .into_iter()
            .map(|(class, kind)| (class.to_string(), kind))
            .collect(),
        )
    }
}

impl<'de> Deserialize<'de> for ControllerMap {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        struct MapVisitor;
        impl<'de> Visitor<'de> for MapVisitor {
            type Value = ControllerMap;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a map of ingress class names to controller kinds")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ControllerMap, A::Error> {
                let mut entries: Vec<(String, Kind)> = Vec::new();
                while let Some((class, kind)) = map.next_entry::<String, Kind>()? {
                    entries.retain(|(c, _)| *c != class);
                    entries.push((class, kind));
                }
                crate::sort::sort_by(&mut entries, Ord::cmp);
                Ok(ControllerMap(entries))
            }
        }
        de.deserialize_map(MapVisitor)
    }
}

impl ControllerMap {
    /// The kind of controller serving `class`, if the class is mapped.
    pub fn kind_of(&self, class: &str) -> Option<Kind> {
        self.0
            .binary_search_by(|(c, _)| c.as_str().cmp(class))
            .ok()
            .map(|i| self.0[i].1)
    }

    /// An empty class name can never match an Ingress: a typo to report.
    pub fn validate(&self, setting: &str, errors: &mut crate::SettingsErrors) {
        for (class, _) in &self.0 {
            if class.trim().is_empty() {
                errors.add(
                    setting,
                    "an empty class name can never match an Ingress; remove it",
                );
            }
        }
    }

    /// `class (kind), ...` for messages.
    pub fn describe(&self) -> String {
        if self.0.is_empty() {
            return "none".to_string();
        }
        let mapped: Vec<String> = self
            .0
            .iter()
            .map(|(class, kind)| format!("{class} ({})", kind.name()))
            .collect();
        mapped.join(", ")
    }
}

/// What to do with an Ingress whose class is not in `controllers`, or that names none.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UnknownClass {
    #[default]
    Reject,
    Accept,
}

/// Why an Ingress's controller is unknown: the field path and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unresolved {
    pub path: String,
    pub what: String,
}

impl Unresolved {
    /// The remedy, for the end of a message.
    pub fn remedy(&self, map: &ControllerMap) -> String {
        let kinds: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
        format!(
            "use a mapped class ({}), or have the policy's controllers setting map the class to \
             its kind ({})",
            map.describe(),
            kinds.join(", ")
        )
    }
}

/// The kind of controller serving the Ingress. The field wins over the deprecated annotation, as
/// in the controllers; an empty one is no class.
pub fn resolve(ingress: &Ingress<'_>, map: &ControllerMap) -> Result<Kind, Unresolved> {
    let classes = ingress.classes();
    let named = classes.iter().find(|(_, class)| !class.is_empty());
    match named {
        Some((source, class)) => map.kind_of(class).ok_or_else(|| Unresolved {
            path: source.path(),
            what: format!("{class:?} is an ingress class the policy does not map to a controller"),
        }),
        None => Err(Unresolved {
            path: "spec.ingressClassName".to_string(),
            what: "is not set and no kubernetes.io/ingress.class annotation names a class, so \
                   the controller that serves the Ingress is unknown"
                .to_string(),
        }),
    }
}

/// Checks one entry of a setting that lists names as a comma-separated annotation lists them
/// (Traefik middlewares, Kong plugins); `middleware` also requires Traefik's `@provider`.
pub fn check_list_name(name: &str, middleware: bool) -> Result<(), String> {
    if name.is_empty() {
        return Err("an empty name can never match; remove it".into());
    }
    if name.contains(',') || name.chars().any(char::is_whitespace) {
        return Err(format!(
            "{name:?} holds a comma or a blank; list one name per entry"
        ));
    }
    if middleware && !name.contains('@') {
        return Err(format!(
            "{name:?} names no provider; write it as router.middlewares does, \
             <namespace>-<name>@kubernetescrd"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ingress(json: &str) -> Ingress<'_> {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn resolution() {
        let map = ControllerMap::default();
        let cases = [
            (
                r#"{"spec":{"ingressClassName":"nginx"}}"#,
                Ok(Kind::IngressNginx),
            ),
            (
                r#"{"metadata":{"annotations":{"kubernetes.io/ingress.class":"traefik"}}}"#,
                Ok(Kind::Traefik),
            ),
            (
                r#"{"metadata":{"annotations":{"kubernetes.io/ingress.class":"kong"}},"spec":{"ingressClassName":""}}"#,
                Ok(Kind::Kong),
            ),
            (
                r#"{"spec":{"ingressClassName":"other"}}"#,
                Err("spec.ingressClassName"),
            ),
            (
                r#"{"metadata":{"annotations":{"kubernetes.io/ingress.class":"istio"}}}"#,
                Err("metadata.annotations[kubernetes.io/ingress.class]"),
            ),
            (r#"{}"#, Err("spec.ingressClassName")),
        ];
        for (json, want) in cases {
            let got = resolve(&ingress(json), &map).map_err(|u| u.path);
            assert_eq!(got, want.map_err(String::from), "{json}");
        }
        let err = resolve(&ingress(r#"{}"#), &map).unwrap_err();
        assert!(err.what.contains("is not set"), "{}", err.what);
        assert!(err.remedy(&map).contains("nginx (ingress-nginx)"));
    }

    #[test]
    fn map_setting() {
        let map: ControllerMap =
            serde_json::from_str(r#"{"edge": "haproxy-ingress", "internal": "nginx-inc"}"#)
                .unwrap();
        assert_eq!(map.kind_of("edge"), Some(Kind::HaproxyIngress));
        assert_eq!(map.kind_of("nginx"), None);
        let err = serde_json::from_str::<ControllerMap>(r#"{"nginx": "nginx-plus"}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown variant `nginx-plus`"), "{err}");
        assert!(serde_json::from_str::<ControllerMap>("[]").is_err());
        for kind in Kind::ALL {
            let parsed: Kind = serde_json::from_str(&format!("{:?}", kind.name())).unwrap();
            assert_eq!(parsed, kind);
            assert!(kind.prefixes().iter().all(|p| p.ends_with('/')));
        }
        let mut errors = crate::SettingsErrors::new();
        ControllerMap(vec![(" ".into(), Kind::Kong)]).validate("controllers", &mut errors);
        assert!(!errors.is_empty());
    }

    #[test]
    fn list_names() {
        assert!(check_list_name("a-b@kubernetescrd", true).is_ok());
        assert!(check_list_name("rl", false).is_ok());
        assert!(
            check_list_name("rl", true)
                .unwrap_err()
                .contains("no provider")
        );
        assert!(check_list_name("a,b", false).unwrap_err().contains("comma"));
        assert!(check_list_name("", false).unwrap_err().contains("empty"));
    }
}
