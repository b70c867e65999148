//! A lean view of `networking.k8s.io/v1` Ingress: the fields ingress policies read.

use std::borrow::Cow;

use serde::de::IgnoredAny;

use crate::request::ObjectMeta;
use crate::view::{list, object, optional_string, strings};
use crate::view_reader;

/// The deprecated annotation that named the class before `spec.ingressClassName` (1.18).
pub const CLASS_ANNOTATION: &str = "kubernetes.io/ingress.class";

#[derive(Debug, Default)]
pub struct Ingress<'a> {
    pub kind: Option<Cow<'a, str>>,
    pub metadata: ObjectMeta<'a>,
    pub spec: IngressSpec<'a>,
}

view_reader!(Ingress {
    "kind" => kind: optional_string,
    "metadata" => metadata: object,
    "spec" => spec: object,
});

#[derive(Debug, Default)]
pub struct IngressSpec<'a> {
    pub ingress_class_name: Option<Cow<'a, str>>,
    /// Only its presence matters to the policies.
    pub default_backend: Option<IgnoredAny>,
    pub tls: Vec<IngressTls<'a>>,
    pub rules: Vec<IngressRule<'a>>,
}

view_reader!(IngressSpec {
    "ingressClassName" => ingress_class_name: optional_string,
    "defaultBackend" => default_backend,
    "tls" => tls: list,
    "rules" => rules: list,
});

#[derive(Debug, Default)]
pub struct IngressTls<'a> {
    pub hosts: Vec<Cow<'a, str>>,
    pub secret_name: Option<Cow<'a, str>>,
}

view_reader!(IngressTls {
    "hosts" => hosts: strings,
    "secretName" => secret_name: optional_string,
});

#[derive(Debug, Default)]
pub struct IngressRule<'a> {
    pub host: Option<Cow<'a, str>>,
}

view_reader!(IngressRule {
    "host" => host: optional_string,
});

impl IngressRule<'_> {
    /// The rule's host, `None` when it has none (it then matches every Host header).
    pub fn host(&self) -> Option<&str> {
        self.host.as_deref().filter(|h| !h.is_empty())
    }
}

/// Where the ingress class of an Ingress was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClassSource {
    Field,
    Annotation,
}

impl ClassSource {
    pub fn path(self) -> String {
        match self {
            ClassSource::Field => "spec.ingressClassName".to_string(),
            ClassSource::Annotation => format!("metadata.annotations[{CLASS_ANNOTATION}]"),
        }
    }
}

impl Ingress<'_> {
    /// The classes the Ingress names: the field, and the deprecated annotation (controllers
    /// that still read it take it over the field, so both count).
    pub fn classes(&self) -> Vec<(ClassSource, &str)> {
        let mut classes = Vec::new();
        if let Some(name) = self.spec.ingress_class_name.as_deref() {
            classes.push((ClassSource::Field, name));
        }
        if let Some(name) = self.metadata.annotation(CLASS_ANNOTATION) {
            classes.push((ClassSource::Annotation, name));
        }
        classes
    }

    /// The class controllers act on: the field, else the annotation.
    pub fn class(&self) -> Option<&str> {
        self.classes().first().map(|(_, name)| *name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<Ingress<'_>, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn views() {
        let ing = parse(
            r#"{"kind":"Ingress","metadata":{"name":"a","annotations":{"kubernetes.io/ingress.class":"nginx"}},
                "spec":{"ingressClassName":"traefik","defaultBackend":{"service":{"name":"x"}},
                "tls":[{"hosts":["a.example.com"],"secretName":"s"},{"hosts":null}],
                "rules":[{"host":"a.example.com","http":{"paths":[]}},{"host":""},{}]}}"#,
        )
        .unwrap();
        assert_eq!(ing.class(), Some("traefik"));
        assert_eq!(ing.classes().len(), 2);
        assert!(ing.spec.default_backend.is_some());
        assert_eq!(ing.spec.tls[1].hosts.len(), 0);
        assert_eq!(ing.spec.rules[0].host(), Some("a.example.com"));
        assert_eq!(ing.spec.rules[1].host(), None);
        assert_eq!(ing.spec.rules[2].host(), None);

        let empty = parse(r#"{"metadata":null,"spec":null}"#).unwrap();
        assert_eq!(empty.class(), None);
        assert!(empty.spec.rules.is_empty());

        for bad in [
            r#"{"spec":"x"}"#,
            r#"{"spec":{"rules":[{"host":5}]}}"#,
            r#"{"metadata":{"labels":[]}}"#,
            r#"{"metadata":[]}"#,
            r#"{"metadata":[{"name":"a"}]}"#,
            r#"{"spec":[]}"#,
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn matches_k8s_openapi_serialisation() {
        use k8s_openapi::api::networking::v1 as net;
        let ingress = net::Ingress {
            spec: Some(net::IngressSpec {
                ingress_class_name: Some("nginx".into()),
                tls: Some(vec![net::IngressTLS {
                    hosts: Some(vec!["a.example.com".into()]),
                    secret_name: Some("cert".into()),
                }]),
                rules: Some(vec![net::IngressRule {
                    host: Some("a.example.com".into()),
                    http: None,
                }]),
                ..Default::default()
            }),
            ..Default::default()
        };
        let json = serde_json::to_string(&ingress).unwrap();
        let view = parse(&json).unwrap();
        assert_eq!(view.kind.as_deref(), Some("Ingress"));
        assert_eq!(view.class(), Some("nginx"));
        assert_eq!(view.spec.tls[0].secret_name.as_deref(), Some("cert"));
        assert_eq!(view.spec.rules[0].host(), Some("a.example.com"));
    }
}
