//! Code-signing state of a loaded module, in one vocabulary across sources.

use serde::Serialize;

/// The tri-state-plus that AN0052 needs. `Unknown` (nothing logged, `-`, `Unavailable`) is *not* treated
/// as benign or as unsigned: it never triggers on its own, and `coverage` reports how common it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum SignatureState {
    Valid,
    Unsigned,
    Invalid,
    Expired,
    Unknown,
}

impl SignatureState {
    pub fn as_str(self) -> &'static str {
        match self {
            SignatureState::Valid => "valid",
            SignatureState::Unsigned => "unsigned",
            SignatureState::Invalid => "invalid",
            SignatureState::Expired => "expired",
            SignatureState::Unknown => "unknown",
        }
    }

    /// Whether this state alone makes a load suspicious.
    pub fn is_suspicious(self) -> bool {
        matches!(
            self,
            SignatureState::Unsigned | SignatureState::Invalid | SignatureState::Expired
        )
    }
}

/// The signer state and subject (`Signature` in Sysmon).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Signature {
    pub state: SignatureState,
    pub subject: Option<Box<str>>,
}

fn blank(s: &str) -> bool {
    let s = s.trim();
    s.is_empty() || s == "-"
}

impl Signature {
    /// From Sysmon's `Signed` ("true"/"false") and `SignatureStatus` (`Valid`, `Expired`,
    /// `Unavailable`, a WinVerifyTrust error name or code). Elastic's `trusted` / `error*` vocabulary
    /// is accepted for the status too.
    pub fn from_sysmon(
        signed: Option<&str>,
        status: Option<&str>,
        subject: Option<&str>,
    ) -> Signature {
        let signed = signed.map(|s| s.trim().to_ascii_lowercase());
        let status = status.map(|s| s.trim().to_ascii_lowercase());
        let state = match (signed.as_deref(), status.as_deref()) {
            (Some("false"), _) => SignatureState::Unsigned,
            (_, Some("valid" | "trusted")) => SignatureState::Valid,
            (_, Some("expired" | "errorexpired")) => SignatureState::Expired,
            (Some("true"), None) => SignatureState::Valid,
            (_, Some(st)) if blank(st) || st == "unavailable" => SignatureState::Unknown,
            // Elastic: the endpoint could not decide (offline chain building, internal errors).
            (_, Some(st)) if st.starts_with("errorcode_endpoint") || st == "errorchaining" => {
                SignatureState::Unknown
            }
            (_, Some(_)) => SignatureState::Invalid,
            _ => SignatureState::Unknown,
        };
        let subject = subject.filter(|s| !blank(s)).map(|s| s.trim().into());
        Signature { state, subject }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(signed: Option<&str>, status: Option<&str>) -> SignatureState {
        Signature::from_sysmon(signed, status, None).state
    }

    #[test]
    fn sysmon_values_map_to_states() {
        assert_eq!(st(Some("true"), Some("Valid")), SignatureState::Valid);
        assert_eq!(
            st(Some("false"), Some("Unavailable")),
            SignatureState::Unsigned
        );
        assert_eq!(st(Some("true"), Some("Expired")), SignatureState::Expired);
        assert_eq!(st(Some("true"), Some("Revoked")), SignatureState::Invalid);
        assert_eq!(
            st(Some("true"), Some("0x800B0109")),
            SignatureState::Invalid
        );
        assert_eq!(
            st(Some("true"), Some("Unavailable")),
            SignatureState::Unknown
        );
        assert_eq!(st(None, None), SignatureState::Unknown);
        assert_eq!(st(Some("-"), Some("-")), SignatureState::Unknown);
        assert_eq!(
            st(None, Some("errorUntrustedRoot")),
            SignatureState::Invalid
        );
    }

    #[test]
    fn subject_dash_is_none() {
        assert_eq!(
            Signature::from_sysmon(Some("false"), None, Some("-")).subject,
            None
        );
    }
}
