//! Credentials of an HTTP request: `X-ClickHouse-User`/`X-ClickHouse-Key` headers, HTTP
//! basic auth, or `user`/`password` URL parameters; none means `default` with an empty
//! password. Mixing methods is an error, as in ClickHouse.

use axum::http::HeaderMap;
use base64::Engine;
use sluice_common::{Error, ErrorCode};

use crate::http::params::RequestParams;

/// User name and password of a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credentials {
    /// User name.
    pub user: String,
    /// Password.
    pub password: String,
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Extracts the credentials.
pub fn credentials(headers: &HeaderMap, params: &RequestParams) -> Result<Credentials, Error> {
    let h_user = header(headers, "x-clickhouse-user");
    let h_key = header(headers, "x-clickhouse-key");
    let basic = header(headers, "authorization").and_then(|v| {
        let (scheme, rest) = v.split_once(' ')?;
        scheme
            .eq_ignore_ascii_case("basic")
            .then(|| rest.trim().to_string())
    });
    let from_params = params.user.is_some() || params.password.is_some();
    let methods = usize::from(h_user.is_some() || h_key.is_some())
        + usize::from(basic.is_some())
        + usize::from(from_params);
    if methods > 1 {
        return Err(Error::new(
            ErrorCode::AUTHENTICATION_FAILED,
            "Invalid authentication: it is not allowed to use several authentication methods \
             at the same time (headers, Authorization header, URL parameters)",
        ));
    }
    if let Some(b64) = basic {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(b64.as_bytes())
            .map_err(|_| {
                Error::new(
                    ErrorCode::AUTHENTICATION_FAILED,
                    "Invalid authentication: malformed Basic authorization header",
                )
            })?;
        let text = String::from_utf8_lossy(&decoded).into_owned();
        let (user, password) = text.split_once(':').unwrap_or((text.as_str(), ""));
        return Ok(Credentials {
            user: non_empty_user(user),
            password: password.to_string(),
        });
    }
    if h_user.is_some() || h_key.is_some() {
        return Ok(Credentials {
            user: non_empty_user(h_user.unwrap_or("")),
            password: h_key.unwrap_or("").to_string(),
        });
    }
    Ok(Credentials {
        user: non_empty_user(params.user.as_deref().unwrap_or("")),
        password: params.password.clone().unwrap_or_default(),
    })
}

fn non_empty_user(u: &str) -> String {
    if u.is_empty() {
        "default".to_string()
    } else {
        u.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn methods() {
        let none = RequestParams::default();
        let mut h = HeaderMap::new();
        assert_eq!(
            credentials(&h, &none).expect("default"),
            Credentials {
                user: "default".into(),
                password: String::new()
            }
        );
        h.insert("authorization", HeaderValue::from_static("Basic dTE6cHcx"));
        assert_eq!(
            credentials(&h, &none).expect("basic"),
            Credentials {
                user: "u1".into(),
                password: "pw1".into()
            }
        );
        let mut h2 = HeaderMap::new();
        h2.insert("x-clickhouse-user", HeaderValue::from_static("u2"));
        h2.insert("x-clickhouse-key", HeaderValue::from_static("k"));
        assert_eq!(credentials(&h2, &none).expect("headers").user, "u2");
        let p = RequestParams::parse("user=u3&password=x").expect("params");
        assert_eq!(
            credentials(&HeaderMap::new(), &p).expect("params").password,
            "x"
        );
        assert_eq!(
            credentials(&h, &p).expect_err("mixed").code,
            ErrorCode::AUTHENTICATION_FAILED
        );
    }
}
