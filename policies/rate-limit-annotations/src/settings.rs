//! Settings of `rate-limit-annotations`.

use netsec_shared::{ExemptNamespaces, SettingsErrors, Validate};
use serde::de::{Deserialize, Deserializer, Error as _};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

pub use netsec_shared::controllers::UnknownClass;
use netsec_shared::controllers::{ControllerMap, Kind};

/// The settings, camelCase, with unknown fields refused at every level. They are read from a
/// JSON tree by hand, so that a null section (YAML's empty `bounds:`) keeps its defaults, a part
/// of a bound left out keeps its own default, and every error names the whole setting path; one
/// tree walk is also less code in the module than a derived reader per nested struct.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// Ingress class name to the kind of controller that serves it.
    pub controllers: ControllerMap,
    pub unknown_class: UnknownClass,
    /// Traefik middlewares that limit the rate, as `router.middlewares` names them.
    pub traefik_rate_limit_middlewares: Vec<String>,
    /// KongPlugin names whose plugin is a rate limiter.
    pub kong_rate_limit_plugins: Vec<String>,
    pub bounds: Bounds,
    pub min_allowlist_prefix: MinAllowlistPrefix,
    /// Add `defaults` to an Ingress without a limit instead of rejecting it.
    pub mutate: bool,
    pub defaults: Defaults,
    /// Which Gateway API implementation's rate limits HTTPRoutes and GRPCRoutes must have.
    pub gateway_api: GatewayApi,
    pub exempt_namespaces: ExemptNamespaces,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            controllers: ControllerMap::default(),
            unknown_class: UnknownClass::Reject,
            traefik_rate_limit_middlewares: Vec::new(),
            kong_rate_limit_plugins: Vec::new(),
            bounds: Bounds::default(),
            min_allowlist_prefix: MinAllowlistPrefix::default(),
            mutate: false,
            defaults: Defaults::default(),
            gateway_api: GatewayApi::None,
            exempt_namespaces: ExemptNamespaces::default(),
        }
    }
}

/// The Gateway API implementation whose rate-limit policies routes need; `None` leaves routes
/// unchecked.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum GatewayApi {
    #[default]
    None,
    /// Envoy Gateway's `BackendTrafficPolicy` with `spec.rateLimit`.
    EnvoyGateway,
}

/// Which bound a normalised value is checked against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Measure {
    Rps,
    Rpm,
    Connections,
}

impl Measure {
    /// The setting path, for messages.
    pub fn setting(self) -> &'static str {
        match self {
            Measure::Rps => "bounds.rps",
            Measure::Rpm => "bounds.rpm",
            Measure::Connections => "bounds.connections",
        }
    }

    /// What one unit of the value is.
    pub fn unit(self) -> &'static str {
        match self {
            Measure::Rps => "requests per second",
            Measure::Rpm => "requests per minute",
            Measure::Connections => "concurrent connections per client",
        }
    }

    fn default_range(self) -> (i64, i64) {
        match self {
            Measure::Rps => (1, 1_000),
            Measure::Rpm => (1, 60_000),
            Measure::Connections => (1, 1_000),
        }
    }
}

/// A bound given in part keeps the default of the part left out, so `rps: {max: 500}` still has
/// a minimum of 1.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Range {
    pub min: Option<i64>,
    pub max: Option<i64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MaxOnly {
    pub max: i64,
}

impl Default for MaxOnly {
    fn default() -> Self {
        MaxOnly { max: 10 }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Bounds {
    pub rps: Range,
    pub rpm: Range,
    pub connections: Range,
    pub burst_multiplier: MaxOnly,
}

impl Bounds {
    /// `(min, max)` of a measure, defaults filled in.
    pub fn range(&self, measure: Measure) -> (i64, i64) {
        let given = match measure {
            Measure::Rps => self.rps,
            Measure::Rpm => self.rpm,
            Measure::Connections => self.connections,
        };
        let (min, max) = measure.default_range();
        (given.min.unwrap_or(min), given.max.unwrap_or(max))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MinAllowlistPrefix {
    pub ipv4: i64,
    pub ipv6: i64,
}

impl Default for MinAllowlistPrefix {
    fn default() -> Self {
        MinAllowlistPrefix { ipv4: 16, ipv6: 48 }
    }
}

/// The limit added when `mutate` is on, mapped to each controller's annotations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Defaults {
    pub rps: i64,
    pub burst_multiplier: i64,
}

impl Default for Defaults {
    fn default() -> Self {
        Defaults {
            rps: 20,
            burst_multiplier: 5,
        }
    }
}

impl<'de> Deserialize<'de> for Settings {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        // Captured raw and parsed by the same JSON tree reader the mutation uses, so it is
        // compiled once.
        let raw = Box::<RawValue>::deserialize(de)?;
        let tree: Value = netsec_shared::json::value(raw.get()).map_err(D::Error::custom)?;
        Settings::from_tree(&tree).map_err(D::Error::custom)
    }
}

impl Settings {
    /// The kind of controller serving `class`, if the class is mapped.
    pub fn kind_of(&self, class: &str) -> Option<Kind> {
        self.controllers.kind_of(class)
    }

    /// Reads the settings tree; a missing or null field keeps its default. Errors are worded
    /// as serde words them, after the path of the setting.
    pub fn from_tree(tree: &Value) -> Result<Settings, String> {
        let mut s = Settings::default();
        for (key, value) in fields(
            tree,
            "",
            &[
                "controllers",
                "unknownClass",
                "traefikRateLimitMiddlewares",
                "kongRateLimitPlugins",
                "bounds",
                "minAllowlistPrefix",
                "mutate",
                "defaults",
                "gatewayAPI",
                "exemptNamespaces",
            ],
        )? {
            let path = key.as_str();
            match path {
                "controllers" => {
                    s.controllers.0.clear();
                    // JSON map keys are unique and come sorted.
                    for (class, kind) in fields(value, path, &[])? {
                        let at = format!("{path}.{class}");
                        let names: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
                        let kind = variant(kind, &at, &names)?;
                        s.controllers.0.push((class.clone(), Kind::ALL[kind]));
                    }
                }
                "unknownClass" => {
                    s.unknown_class = match variant(value, path, &["reject", "accept"])? {
                        0 => UnknownClass::Reject,
                        _ => UnknownClass::Accept,
                    }
                }
                "traefikRateLimitMiddlewares" => {
                    s.traefik_rate_limit_middlewares = strings(value, path)?
                }
                "kongRateLimitPlugins" => s.kong_rate_limit_plugins = strings(value, path)?,
                "bounds" => s.bounds = read_bounds(value)?,
                "minAllowlistPrefix" => {
                    for (name, n) in fields(value, path, &["ipv4", "ipv6"])? {
                        let n = integer(n, &format!("{path}.{name}"))?;
                        match name.as_str() {
                            "ipv4" => s.min_allowlist_prefix.ipv4 = n,
                            _ => s.min_allowlist_prefix.ipv6 = n,
                        }
                    }
                }
                "mutate" => s.mutate = boolean(value, path)?,
                "defaults" => {
                    for (name, n) in fields(value, path, &["rps", "burstMultiplier"])? {
                        let n = integer(n, &format!("{path}.{name}"))?;
                        match name.as_str() {
                            "rps" => s.defaults.rps = n,
                            _ => s.defaults.burst_multiplier = n,
                        }
                    }
                }
                "gatewayAPI" => {
                    s.gateway_api = match variant(value, path, &["none", "envoy-gateway"])? {
                        0 => GatewayApi::None,
                        _ => GatewayApi::EnvoyGateway,
                    }
                }
                _ => s.exempt_namespaces = ExemptNamespaces(strings(value, path)?),
            }
        }
        Ok(s)
    }
}

fn read_bounds(tree: &Value) -> Result<Bounds, String> {
    let mut bounds = Bounds::default();
    let path = "bounds";
    for (name, value) in fields(
        tree,
        path,
        &["rps", "rpm", "connections", "burstMultiplier"],
    )? {
        let at = format!("{path}.{name}");
        if name == "burstMultiplier" {
            for (_, max) in fields(value, &at, &["max"])? {
                bounds.burst_multiplier.max = integer(max, &format!("{at}.max"))?;
            }
            continue;
        }
        let mut range = Range::default();
        for (end, n) in fields(value, &at, &["min", "max"])? {
            let n = Some(integer(n, &format!("{at}.{end}"))?);
            match end.as_str() {
                "min" => range.min = n,
                _ => range.max = n,
            }
        }
        match name.as_str() {
            "rps" => bounds.rps = range,
            "rpm" => bounds.rpm = range,
            _ => bounds.connections = range,
        }
    }
    Ok(bounds)
}

/// The non-null fields of a map; with `known` non-empty, any other field is an error.
fn fields<'v>(
    value: &'v Value,
    path: &str,
    known: &[&str],
) -> Result<impl Iterator<Item = (&'v String, &'v Value)>, String> {
    let map = match value {
        Value::Null => None,
        Value::Object(map) => Some(map),
        other => return Err(invalid_type(other, path, "a map")),
    };
    if !known.is_empty()
        && let Some(unknown) = map
            .into_iter()
            .flat_map(Map::keys)
            .find(|k| !known.contains(&k.as_str()))
    {
        let at = if path.is_empty() {
            String::new()
        } else {
            format!("{path}: ")
        };
        return Err(format!(
            "{at}unknown field `{unknown}`, expected one of {}",
            quoted(known)
        ));
    }
    Ok(map.into_iter().flatten().filter(|(_, v)| !v.is_null()))
}

fn quoted(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn invalid_type(value: &Value, path: &str, expected: &str) -> String {
    let found = match value {
        Value::Null => "null".to_string(),
        Value::Bool(b) => format!("boolean `{b}`"),
        Value::Number(n) if n.is_f64() => format!("floating point `{n}`"),
        Value::Number(n) => format!("integer `{n}`"),
        Value::String(s) => format!("string {s:?}"),
        Value::Array(_) => "sequence".to_string(),
        Value::Object(_) => "map".to_string(),
    };
    format!("{path}: invalid type: {found}, expected {expected}")
}

fn integer(value: &Value, path: &str) -> Result<i64, String> {
    match value {
        Value::Number(n) if n.is_u64() || n.is_i64() => n
            .as_i64()
            .ok_or_else(|| format!("{path}: invalid value: integer `{n}`, expected i64")),
        other => Err(invalid_type(other, path, "i64")),
    }
}

fn boolean(value: &Value, path: &str) -> Result<bool, String> {
    value
        .as_bool()
        .ok_or_else(|| invalid_type(value, path, "a boolean"))
}

fn strings(value: &Value, path: &str) -> Result<Vec<String>, String> {
    let Value::Array(items) = value else {
        return Err(invalid_type(value, path, "a sequence"));
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| match item {
            Value::String(s) => Ok(s.clone()),
            other => Err(invalid_type(other, &format!("{path}[{i}]"), "a string")),
        })
        .collect()
}

/// The index of the string value in `names`.
fn variant(value: &Value, path: &str, names: &[&str]) -> Result<usize, String> {
    let Value::String(name) = value else {
        return Err(invalid_type(value, path, "a string"));
    };
    names.iter().position(|n| n == name).ok_or_else(|| {
        format!(
            "{path}: unknown variant `{name}`, expected one of {}",
            quoted(names)
        )
    })
}

impl Validate for Settings {
    fn validate(&self, errors: &mut SettingsErrors) {
        self.controllers.validate("controllers", errors);
        for (i, name) in self.traefik_rate_limit_middlewares.iter().enumerate() {
            let setting = format!("traefikRateLimitMiddlewares[{i}]");
            if let Err(why) = check_list_item(name) {
                errors.add(setting, why);
            } else if !name.contains('@') {
                errors.add(
                    setting,
                    format!(
                        "{name:?} names no provider; write it as router.middlewares does, \
                         <namespace>-<name>@kubernetescrd"
                    ),
                );
            }
        }
        for (i, name) in self.kong_rate_limit_plugins.iter().enumerate() {
            if let Err(why) = check_list_item(name) {
                errors.add(format!("kongRateLimitPlugins[{i}]"), why);
            }
        }
        for measure in [Measure::Rps, Measure::Rpm, Measure::Connections] {
            let (min, max) = self.bounds.range(measure);
            let setting = measure.setting();
            if min < 0 {
                errors.add(format!("{setting}.min"), format!("{min} is negative"));
            }
            if max < 0 {
                errors.add(format!("{setting}.max"), format!("{max} is negative"));
            }
            if min > max {
                errors.add(
                    setting,
                    format!("min {min} is above max {max}, so no value could pass"),
                );
            }
        }
        let burst_max = self.bounds.burst_multiplier.max;
        if burst_max < 1 {
            errors.add(
                "bounds.burstMultiplier.max",
                format!("{burst_max} is below 1, the smallest multiplier ingress-nginx takes"),
            );
        }
        let prefix = self.min_allowlist_prefix;
        if !(0..=32).contains(&prefix.ipv4) {
            errors.add(
                "minAllowlistPrefix.ipv4",
                format!("{} is not an IPv4 prefix length (0 to 32)", prefix.ipv4),
            );
        }
        if !(0..=128).contains(&prefix.ipv6) {
            errors.add(
                "minAllowlistPrefix.ipv6",
                format!("{} is not an IPv6 prefix length (0 to 128)", prefix.ipv6),
            );
        }
        self.validate_defaults(errors);
        self.exempt_namespaces.validate("exemptNamespaces", errors);
    }
}

impl Settings {
    fn validate_defaults(&self, errors: &mut SettingsErrors) {
        let Defaults {
            rps,
            burst_multiplier,
        } = self.defaults;
        if rps < 1 {
            errors.add("defaults.rps", format!("{rps} is below 1"));
        }
        if burst_multiplier < 1 {
            errors.add(
                "defaults.burstMultiplier",
                format!("{burst_multiplier} is below 1"),
            );
        }
        // Only a policy that adds the defaults would then reject its own work.
        if !self.mutate {
            return;
        }
        let (min, max) = self.bounds.range(Measure::Rps);
        if rps >= 1 && !(min..=max).contains(&rps) {
            errors.add(
                "defaults.rps",
                format!("{rps} is outside bounds.rps ({min} to {max}), so mutate would add a limit the policy rejects"),
            );
        }
        let burst_max = self.bounds.burst_multiplier.max;
        if burst_multiplier > burst_max {
            errors.add(
                "defaults.burstMultiplier",
                format!("{burst_multiplier} is above bounds.burstMultiplier.max ({burst_max})"),
            );
        }
    }
}

/// One name of a comma-separated annotation list.
fn check_list_item(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("an empty name can never match; remove it".into());
    }
    if name.contains(',') || name.chars().any(char::is_whitespace) {
        return Err(format!(
            "{name:?} holds a comma or a blank; list one name per entry"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use netsec_shared::settings::parse_settings;

    #[test]
    fn defaults() {
        let s: Settings = parse_settings(b"{}").unwrap();
        assert_eq!(s, Settings::default());
        assert_eq!(s.kind_of("nginx"), Some(Kind::IngressNginx));
        assert_eq!(s.kind_of("nginx-plus"), None);
        assert_eq!(s.controllers.0.len(), 4);
        assert_eq!(s.bounds.range(Measure::Rps), (1, 1_000));
        assert_eq!(s.bounds.range(Measure::Rpm), (1, 60_000));
        assert_eq!(s.bounds.range(Measure::Connections), (1, 1_000));
        assert_eq!(s.bounds.burst_multiplier.max, 10);
        assert_eq!(
            s.min_allowlist_prefix,
            MinAllowlistPrefix { ipv4: 16, ipv6: 48 }
        );
        assert_eq!(s.unknown_class, UnknownClass::Reject);
        assert!(!s.mutate);
        assert_eq!(s.gateway_api, GatewayApi::None);
    }

    #[test]
    fn partial_bounds_keep_the_other_default() {
        let s: Settings =
            parse_settings(br#"{"bounds": {"rps": {"max": 500}, "rpm": {"min": 60}}}"#).unwrap();
        assert_eq!(s.bounds.range(Measure::Rps), (1, 500));
        assert_eq!(s.bounds.range(Measure::Rpm), (60, 60_000));
        let s: Settings = parse_settings(br#"{"minAllowlistPrefix": {"ipv4": 24}}"#).unwrap();
        assert_eq!(s.min_allowlist_prefix.ipv6, 48);
    }

    #[test]
    fn settings_table() {
        // settings => "ok", or text the error must contain.
        let table = r#"
{"controllers": {"internal": "nginx-inc", "edge": "haproxy-ingress"}} => ok
{"unknownClass": "accept"} => ok
{"traefikRateLimitMiddlewares": ["edge-ratelimit@kubernetescrd"], "kongRateLimitPlugins": ["rl"]} => ok
{"mutate": true, "defaults": {"rps": 50}} => ok
{"controllers": {"nginx": "nginx-plus"}} => controllers.nginx: unknown variant `nginx-plus`
{"controllers": {"": "kong"}} => controllers: an empty class name
{"unknownClass": "warn"} => unknownClass: unknown variant `warn`
{"bounds": {"rps": {"min": 10, "max": 5}}} => bounds.rps: min 10 is above max 5
{"bounds": {"rpm": {"max": 0}}} => bounds.rpm: min 1 is above max 0
{"bounds": {"connections": {"min": -1}}} => bounds.connections.min: -1 is negative
{"bounds": {"rps": {"minimum": 1}}} => bounds.rps: unknown field `minimum`
{"bounds": {"burstMultiplier": {"min": 1}}} => bounds.burstMultiplier: unknown field `min`
{"bounds": {"burstMultiplier": {"max": 0}}} => bounds.burstMultiplier.max: 0 is below 1
{"bounds": {"rps": {"max": 1.5}}} => bounds.rps.max: invalid type: floating point
{"minAllowlistPrefix": {"ipv4": 33}} => minAllowlistPrefix.ipv4: 33 is not an IPv4 prefix length
{"minAllowlistPrefix": {"ipv6": -1}} => minAllowlistPrefix.ipv6: -1
{"traefikRateLimitMiddlewares": ["ratelimit"]} => traefikRateLimitMiddlewares[0]: "ratelimit" names no provider
{"kongRateLimitPlugins": ["a,b"]} => kongRateLimitPlugins[0]: "a,b" holds a comma
{"mutate": true, "bounds": {"rps": {"max": 10}}} => defaults.rps: 20 is outside bounds.rps (1 to 10)
{"mutate": false, "bounds": {"rps": {"max": 10}}} => ok
{"mutate": true, "defaults": {"burstMultiplier": 20}} => defaults.burstMultiplier: 20 is above bounds.burstMultiplier.max (10)
{"defaults": {"rps": 0}} => defaults.rps: 0 is below 1
{"exemptNamespaces": ["Team A"]} => exemptNamespaces[0]
{"mutate": "yes"} => mutate: invalid type: string
{"gatewayAPI": "envoy-gateway"} => ok
{"gatewayAPI": "none"} => ok
{"gatewayAPI": "envoy"} => gatewayAPI: unknown variant `envoy`, expected one of `none`, `envoy-gateway`
{"gatewayAPI": false} => gatewayAPI: invalid type: boolean `false`, expected a string
{"gatewayApi": "envoy-gateway"} => unknown field `gatewayApi`
"#;
        let cases: Vec<(&str, Option<&str>)> = table
            .lines()
            .filter(|l| !l.is_empty())
            .map(|line| {
                let (json, want) = line.split_once(" => ").unwrap();
                (json, (want != "ok").then_some(want))
            })
            .collect();
        netsec_shared::testing::assert_settings_table::<Settings>(&cases);
    }
}
