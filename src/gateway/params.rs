//! Building the parameters forwarded to a BBB server: exclusions, defaults and overrides.

use crate::bbb::Params;
use crate::config::ParamPolicy;

/// Routing names Rails adds to params; never forwarded.
const ROUTING: [&str; 4] = ["format", "controller", "action", "checksum"];

/// Client params minus routing names and the call's exclusion list, then merged with Scalelite's
/// precedence: override > client > default. Default-only keys go before the client's keys,
/// override-only keys after them. `skip` names keys the lists must not touch (e.g. the tag).
pub(super) fn forwarded(client: &Params, policy: &ParamPolicy, skip: &[&str]) -> Params {
    let mut out = Params::new();
    for (k, v) in policy
        .defaults
        .iter()
        .filter(|(k, _)| !skip.contains(&k.as_str()))
    {
        if !client.contains(k) || policy.exclude.contains(k) {
            out.insert(k, v);
        }
    }
    for (k, v) in client.iter() {
        if ROUTING.contains(&k) || policy.exclude.iter().any(|e| e == k) {
            continue;
        }
        out.set(k, v.map(String::from));
    }
    for (k, v) in policy
        .overrides
        .iter()
        .filter(|(k, _)| !skip.contains(&k.as_str()))
    {
        out.insert(k, v);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(
        exclude: &[&str],
        defaults: &[(&str, &str)],
        overrides: &[(&str, &str)],
    ) -> ParamPolicy {
        let pairs = |v: &[(&str, &str)]| {
            v.iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect()
        };
        ParamPolicy {
            exclude: exclude.iter().map(|s| s.to_string()).collect(),
            defaults: pairs(defaults),
            overrides: pairs(overrides),
        }
    }

    #[test]
    fn precedence_and_order() {
        let client = Params::parse("meetingID=m&param1=param1&checksum=x&test1=");
        let p = policy(
            &["test1"],
            &[("param1", "not-param1"), ("param2", "param2")],
            &[("param3", "o")],
        );
        assert_eq!(
            forwarded(&client, &p, &[]).encode(),
            "param2=param2&meetingID=m&param1=param1&param3=o"
        );
        let o = policy(&[], &[], &[("param1", "param1"), ("param2", "param2")]);
        let client = Params::parse("meetingID=m&param1=not-param1");
        assert_eq!(
            forwarded(&client, &o, &[]).encode(),
            "meetingID=m&param1=param1&param2=param2"
        );
    }

    #[test]
    fn empty_values_survive_without_exclusions() {
        let client = Params::parse("meetingID=m&test1=&test2=");
        assert_eq!(
            forwarded(&client, &ParamPolicy::default(), &[]).encode(),
            "meetingID=m&test1=&test2="
        );
    }
}
