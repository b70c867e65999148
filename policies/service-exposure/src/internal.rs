//! Internal load balancers: the annotations and classes with which a cloud's load-balancer
//! controller gives a `type: LoadBalancer` Service an address on the private network only.
//!
//! Each row reads its annotation as the provider's controller does:
//! - AWS, in-tree and cloud-provider-aws (`EnsureLoadBalancer`): `aws-load-balancer-internal`
//!   makes the ELB/NLB internal when set to anything but `"false"` (older docs used the value
//!   `0.0.0.0/0`); the scheme annotation is not read there.
//! - AWS Load Balancer Controller (`buildLoadBalancerScheme` and its legacy fallback), which
//!   owns Services of class `service.k8s.aws/nlb` or with `aws-load-balancer-type: external`
//!   / `nlb-ip`: `aws-load-balancer-scheme` (`internal` or `internet-facing`) first, else
//!   `aws-load-balancer-internal` read with Go's `strconv.ParseBool`. With neither, it keeps the
//!   scheme of the load balancer it already made, which admission cannot see, so a Service it
//!   owns must say `internal` to count as internal.
//! - Azure (cloud-provider-azure `requiresInternalLoadBalancer`): exactly `"true"`.
//! - GKE (cloud-provider-gcp `GetLoadBalancerAnnotationType`): `networking.gke.io/load-balancer-type`,
//!   else the deprecated `cloud.google.com/load-balancer-type`, is `Internal` or `internal`; the
//!   GKE subsetting class `networking.gke.io/l4-regional-internal`.
//! - The others as the Kubernetes Service documentation's "Internal load balancer" table and
//!   each provider's annotation reference give them (OCI, IBM Cloud, OpenStack, Baidu CCE,
//!   Tencent TKE, Alibaba ACK, Hetzner hcloud-cloud-controller-manager). Boolean values count
//!   only as `"true"`, the value every one of them documents.
//!
//! A cloud's service controller leaves a Service with a `spec.loadBalancerClass` to the
//! controller of that class (KEP-1959), so its annotations count only for Services without a
//! class, or with the class of that cloud's own controller.

use netsec_shared::ObjectMeta;
use netsec_shared::annotations::BoolSyntax;

/// One provider's reading of a Service.
pub struct Provider {
    /// The id `loadBalancerProviders` names it by.
    pub id: &'static str,
    /// For messages: the annotation to add.
    pub hint: &'static str,
    /// `Some(true)` internal, `Some(false)` explicitly public, `None` nothing said.
    read: fn(&ObjectMeta<'_>, Option<&str>) -> Option<bool>,
}

impl Provider {
    pub fn internal(&self, metadata: &ObjectMeta<'_>, class: Option<&str>) -> bool {
        (self.read)(metadata, class) == Some(true)
    }
}

pub const AWS_LBC_CLASS: &str = "service.k8s.aws/nlb";
pub const GKE_INTERNAL_CLASS: &str = "networking.gke.io/l4-regional-internal";

/// Every provider the policy knows, in the README's order.
pub const PROVIDERS: &[Provider] = &[
    Provider {
        id: "aws",
        hint: "service.beta.kubernetes.io/aws-load-balancer-scheme: internal (AWS Load Balancer \
               Controller) or service.beta.kubernetes.io/aws-load-balancer-internal: \"true\"",
        read: aws,
    },
    Provider {
        id: "azure",
        hint: "service.beta.kubernetes.io/azure-load-balancer-internal: \"true\"",
        read: |m, class| no_class(class).then(|| m.annotation(AZURE) == Some("true")),
    },
    Provider {
        id: "gcp",
        hint: "networking.gke.io/load-balancer-type: Internal",
        read: gcp,
    },
    Provider {
        id: "oci",
        hint: "service.beta.kubernetes.io/oci-load-balancer-internal: \"true\"",
        read: |m, class| {
            no_class(class).then(|| {
                m.annotation("service.beta.kubernetes.io/oci-load-balancer-internal")
                    == Some("true")
                    || m.annotation("oci-network-load-balancer.oraclecloud.com/internal")
                        == Some("true")
            })
        },
    },
    Provider {
        id: "ibm",
        hint: "service.kubernetes.io/ibm-load-balancer-cloud-provider-ip-type: private",
        read: |m, class| {
            no_class(class).then(|| {
                m.annotation("service.kubernetes.io/ibm-load-balancer-cloud-provider-ip-type")
                    == Some("private")
            })
        },
    },
    Provider {
        id: "openstack",
        hint: "service.beta.kubernetes.io/openstack-internal-load-balancer: \"true\"",
        read: |m, class| {
            no_class(class).then(|| {
                m.annotation("service.beta.kubernetes.io/openstack-internal-load-balancer")
                    == Some("true")
            })
        },
    },
    Provider {
        id: "baidu",
        hint: "service.beta.kubernetes.io/cce-load-balancer-internal-vpc: \"true\"",
        read: |m, class| {
            no_class(class).then(|| {
                m.annotation("service.beta.kubernetes.io/cce-load-balancer-internal-vpc")
                    == Some("true")
            })
        },
    },
    Provider {
        id: "tencent",
        hint: "service.kubernetes.io/qcloud-loadbalancer-internal-subnetid: <subnet id>",
        read: |m, class| {
            no_class(class).then(|| {
                m.annotation("service.kubernetes.io/qcloud-loadbalancer-internal-subnetid")
                    .is_some_and(|subnet| !subnet.trim().is_empty())
            })
        },
    },
    Provider {
        id: "alibaba",
        hint: "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-address-type: intranet",
        read: |m, class| {
            no_class(class).then(|| {
                m.annotation("service.beta.kubernetes.io/alibaba-cloud-loadbalancer-address-type")
                    == Some("intranet")
            })
        },
    },
    Provider {
        id: "hetzner",
        hint: "load-balancer.hetzner.cloud/disable-public-network: \"true\"",
        read: |m, class| {
            no_class(class).then(|| {
                m.annotation("load-balancer.hetzner.cloud/disable-public-network") == Some("true")
            })
        },
    },
];

const AZURE: &str = "service.beta.kubernetes.io/azure-load-balancer-internal";
const AWS_INTERNAL: &str = "service.beta.kubernetes.io/aws-load-balancer-internal";
const AWS_SCHEME: &str = "service.beta.kubernetes.io/aws-load-balancer-scheme";
const AWS_TYPE: &str = "service.beta.kubernetes.io/aws-load-balancer-type";

/// The provider ids, for settings validation and messages.
pub fn provider_ids() -> impl Iterator<Item = &'static str> {
    PROVIDERS.iter().map(|p| p.id)
}

fn no_class(class: Option<&str>) -> bool {
    class.is_none()
}

fn aws(m: &ObjectMeta<'_>, class: Option<&str>) -> Option<bool> {
    let controller_owned = class == Some(AWS_LBC_CLASS)
        || (class.is_none() && matches!(m.annotation(AWS_TYPE), Some("external" | "nlb-ip")));
    if controller_owned {
        if let Some(scheme) = m.annotation(AWS_SCHEME) {
            return Some(scheme == "internal");
        }
        // A value ParseBool refuses stops the controller: no load balancer is made at all.
        return m
            .annotation(AWS_INTERNAL)
            .map(|v| BoolSyntax::Go.parse(v).unwrap_or(true));
    }
    if class.is_some() {
        return None;
    }
    m.annotation(AWS_INTERNAL)
        .filter(|v| !v.is_empty())
        .map(|v| v != "false" && BoolSyntax::Go.parse(v) != Some(false))
}

fn gcp(m: &ObjectMeta<'_>, class: Option<&str>) -> Option<bool> {
    match class {
        Some(GKE_INTERNAL_CLASS) => return Some(true),
        Some(_) => return None,
        None => {}
    }
    let value = m
        .annotation("networking.gke.io/load-balancer-type")
        .or_else(|| m.annotation("cloud.google.com/load-balancer-type"))?;
    Some(matches!(value, "Internal" | "internal"))
}

/// The provider (of those trusted) whose reading makes the Service internal, if any.
pub fn internal_by<'p>(
    metadata: &ObjectMeta<'_>,
    class: Option<&str>,
    trusted: impl Fn(&str) -> bool,
) -> Option<&'p Provider> {
    PROVIDERS
        .iter()
        .filter(|p| trusted(p.id))
        .find(|p| p.internal(metadata, class))
}

#[cfg(test)]
mod tests {
    use super::*;
    use netsec_shared::testing::string_map;

    fn meta(pairs: &[(&'static str, &'static str)]) -> ObjectMeta<'static> {
        ObjectMeta {
            annotations: string_map(pairs),
            ..ObjectMeta::default()
        }
    }

    fn internal(
        pairs: &[(&'static str, &'static str)],
        class: Option<&str>,
    ) -> Option<&'static str> {
        internal_by(&meta(pairs), class, |_| true).map(|p| p.id)
    }

    /// Annotations, class, and the provider that reads the Service as internal.
    type Case<'a> = (&'a [(&'a str, &'a str)], Option<&'a str>, Option<&'a str>);

    #[test]
    fn readings_table() {
        let cases: &[Case] = &[
            (&[], None, None),
            (&[(AWS_INTERNAL, "true")], None, Some("aws")),
            (&[(AWS_INTERNAL, "0.0.0.0/0")], None, Some("aws")),
            (&[(AWS_INTERNAL, "false")], None, None),
            // In-tree reads "False" as internal, the controller as public: not internal.
            (&[(AWS_INTERNAL, "False")], None, None),
            (&[(AWS_INTERNAL, "")], None, None),
            // The in-tree provider does not read the scheme.
            (&[(AWS_SCHEME, "internal")], None, None),
            (
                &[(AWS_SCHEME, "internal")],
                Some(AWS_LBC_CLASS),
                Some("aws"),
            ),
            (
                &[(AWS_SCHEME, "internal"), (AWS_TYPE, "external")],
                None,
                Some("aws"),
            ),
            (
                &[(AWS_SCHEME, "internet-facing"), (AWS_INTERNAL, "true")],
                Some(AWS_LBC_CLASS),
                None,
            ),
            (&[(AWS_INTERNAL, "true")], Some(AWS_LBC_CLASS), Some("aws")),
            (&[(AWS_INTERNAL, "1")], Some(AWS_LBC_CLASS), Some("aws")),
            // The controller's default depends on what exists already: not judged internal.
            (&[], Some(AWS_LBC_CLASS), None),
            (&[(AWS_INTERNAL, "true")], Some("example.com/lb"), None),
            (&[(AZURE, "true")], None, Some("azure")),
            (&[(AZURE, "True")], None, None),
            (&[(AZURE, "true")], Some("example.com/lb"), None),
            (
                &[("networking.gke.io/load-balancer-type", "Internal")],
                None,
                Some("gcp"),
            ),
            (
                &[("cloud.google.com/load-balancer-type", "internal")],
                None,
                Some("gcp"),
            ),
            // The new annotation wins over the deprecated one.
            (
                &[
                    ("networking.gke.io/load-balancer-type", "External"),
                    ("cloud.google.com/load-balancer-type", "Internal"),
                ],
                None,
                None,
            ),
            (&[], Some(GKE_INTERNAL_CLASS), Some("gcp")),
            (&[], Some("networking.gke.io/l4-regional-external"), None),
            (
                &[(
                    "service.beta.kubernetes.io/oci-load-balancer-internal",
                    "true",
                )],
                None,
                Some("oci"),
            ),
            (
                &[(
                    "service.kubernetes.io/ibm-load-balancer-cloud-provider-ip-type",
                    "public",
                )],
                None,
                None,
            ),
            (
                &[(
                    "service.kubernetes.io/ibm-load-balancer-cloud-provider-ip-type",
                    "private",
                )],
                None,
                Some("ibm"),
            ),
            (
                &[(
                    "service.kubernetes.io/qcloud-loadbalancer-internal-subnetid",
                    "subnet-1",
                )],
                None,
                Some("tencent"),
            ),
            (
                &[(
                    "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-address-type",
                    "internet",
                )],
                None,
                None,
            ),
            (
                &[("load-balancer.hetzner.cloud/disable-public-network", "true")],
                None,
                Some("hetzner"),
            ),
        ];
        for (pairs, class, want) in cases {
            assert_eq!(internal(pairs, *class), *want, "{pairs:?} {class:?}");
        }
    }

    #[test]
    fn only_trusted_providers_count() {
        let m = meta(&[(AZURE, "true")]);
        assert!(internal_by(&m, None, |id| id == "aws").is_none());
        assert_eq!(
            internal_by(&m, None, |id| id == "azure").map(|p| p.id),
            Some("azure")
        );
        assert_eq!(provider_ids().count(), PROVIDERS.len());
    }
}
