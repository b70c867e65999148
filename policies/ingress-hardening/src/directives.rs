//! The nginx directives an annotation value would run, read with the tokenizer of
//! [`netsec_shared::nginx`] (nginx's `ngx_conf_read_token`): quoting or escaping a directive's
//! name does not hide it, since nginx strips the quotes of every word it reads.

use std::borrow::Cow;

use netsec_shared::nginx::{ErrorKind, Token, TokenError, tokens};

/// How a controller puts an annotation value into the nginx configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reading {
    /// As statements of its own (ingress-nginx `*-snippet`, F5 NGINX `*-snippets`): nginx reads
    /// all of it, and text nginx cannot read is an error.
    Snippet,
    /// ingress-nginx's `modsecurity-snippet`: its template writes it between single quotes,
    /// `modsecurity_rules '<value>';`, so a `'` in it ends the rules and what follows is read
    /// as nginx statements.
    ModSecurity,
    /// Any other value: the policy cannot know where a controller writes it. It is read as
    /// statements, and, when it holds a quote, as the rest of a quoted word (a value written
    /// inside quotes breaks out with that quote). A statement counts when `;` ends it, or when
    /// it runs to the end of the value after a `;`, `{` or `}` of the value (the text the
    /// controller writes after it can end it); so prose such as "the root cause" is not a
    /// statement, while `x; root /etc` is.
    Value,
}

/// What reading a value found.
#[derive(Debug, Default)]
pub struct Found {
    /// The dangerous directives, each once, in the order met.
    pub directives: Vec<String>,
    /// Why nginx could not read it (snippets only).
    pub unreadable: Option<TokenError>,
}

/// Directives that read the controller's files or load code into it: `root`, `alias` and
/// `include` serve or read any file (the service-account token reads every Secret),
/// `load_module` and `ssl_engine` load a shared object (IngressNightmare's payload), and the
/// `lua_*` directives configure the Lua runtime. `*_by_lua*` is matched in the raw text
/// wherever it appears (see `risky::cve_patterns`). nginx matches directive names exactly and
/// case-sensitively (`ngx_conf_handler`), so `Root` is not `root`.
pub fn dangerous(directive: &str) -> bool {
    matches!(
        directive,
        "root" | "alias" | "include" | "load_module" | "ssl_engine"
    ) || directive.starts_with("lua_")
}

/// The dangerous directives of `value`, read as `reading` says.
pub fn read(value: &str, reading: Reading) -> Found {
    let mut found = Found::default();
    match reading {
        Reading::Snippet => scan(value, true, &mut found),
        Reading::ModSecurity => {
            let wrapped = format!("modsecurity_rules '\n{value}\n';");
            scan(&wrapped, true, &mut found);
            // Lines as the user wrote them: the wrapper adds one before the value.
            if let Some(e) = &mut found.unreadable {
                e.line = e.line.saturating_sub(1).max(1);
            }
        }
        Reading::Value => {
            // Without `;`, `{` or `}` no statement can be counted: most values (URLs, numbers,
            // names) end here.
            if !value.contains([';', '{', '}']) {
                return found;
            }
            scan(value, false, &mut found);
            for quote in ['"', '\''] {
                if value.contains(quote) {
                    let mut inside = String::with_capacity(value.len() + 1);
                    inside.push(quote);
                    inside.push_str(value);
                    scan(&inside, false, &mut found);
                }
            }
        }
    }
    found
}

/// Reads `text`; `strict` for text nginx reads as a whole (every statement counts and the
/// first error is kept), else as a value whose surroundings are unknown.
fn scan(text: &str, strict: bool, found: &mut Found) {
    let mut directive: Option<Cow<'_, str>> = None;
    let mut words = 0usize;
    // A `;`, `{` or `}` of the text has been read: what follows is a statement of its own.
    let mut boundary = false;
    // The lines of the blocks still open.
    let mut open: Vec<usize> = Vec::new();
    let fail = |found: &mut Found, e: TokenError| {
        if strict && found.unreadable.is_none() {
            found.unreadable = Some(e);
        }
    };
    let mut t = tokens(text);
    while let Some(token) = t.next() {
        match token {
            Ok(Token::Word(w)) => {
                if words == 0 {
                    directive = Some(w);
                }
                words += 1;
            }
            Ok(end @ (Token::End | Token::BlockStart)) => {
                // None of the dangerous directives takes a block, and nginx refuses a statement
                // that opens one for a directive that takes none (`ngx_conf_handler`: "directive
                // is not terminated by ;"): outside snippets, `root cause {` is prose.
                if let Some(d) = directive.take()
                    && (strict || end == Token::End)
                {
                    judge(found, &d);
                }
                if end == Token::BlockStart {
                    open.push(t.line());
                }
                words = 0;
                boundary = true;
            }
            Ok(Token::BlockEnd) => {
                if open.pop().is_none() {
                    let line = t.line();
                    fail(
                        found,
                        TokenError {
                            line,
                            kind: ErrorKind::UnopenedBlockEnd,
                        },
                    );
                }
                words = 0;
                boundary = true;
            }
            Err(e) => {
                let at_end = matches!(
                    e.kind,
                    ErrorKind::UnendedStatement | ErrorKind::UnclosedQuote(_)
                );
                // A statement cut short by an error mid-text is one nginx refuses, never runs;
                // one left open at the end may be ended by the text that follows.
                if let Some(d) = directive.take()
                    && at_end
                    && (strict || boundary)
                {
                    judge(found, &d);
                }
                fail(found, e);
                words = 0;
                boundary = true;
            }
        }
    }
    if let Some(&line) = open.first() {
        fail(
            found,
            TokenError {
                line,
                kind: ErrorKind::UnclosedBlock,
            },
        );
    }
}

fn judge(found: &mut Found, directive: &str) {
    if dangerous(directive) && !found.directives.iter().any(|d| d == directive) {
        found.directives.push(directive.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn directives(value: &str, reading: Reading) -> Vec<String> {
        read(value, reading).directives
    }

    #[test]
    fn quoting_does_not_hide_a_directive() {
        for reading in [Reading::Snippet, Reading::Value] {
            for value in [
                "root /;",
                "\"root\" /;",
                "'root' /;",
                "more_set_headers \"a: b\";\n  \"root\"\t/var/www;",
                "x; 'root' \"/\";",
                "location /x { 'root' /; }",
            ] {
                assert_eq!(
                    directives(value, reading),
                    ["root"],
                    "{value:?} {reading:?}"
                );
            }
            assert_eq!(directives("'alias' /srv/;", reading), ["alias"]);
            assert_eq!(
                directives("\"load_module\" /tmp/x.so; include '/x';", reading),
                ["load_module", "include"]
            );
            assert_eq!(
                directives("lua_code_cache off;", reading),
                ["lua_code_cache"]
            );
            assert_eq!(directives("ssl_engine x;", reading), ["ssl_engine"]);
        }
    }

    #[test]
    fn words_that_are_not_directives() {
        for value in [
            "groot.example.com",
            "the root page",
            "root cause",
            "Root /x;",
            "x}root /etc;",
            "add_header X-Root 1;",
            "proxy_set_header X \"root\";",
            "rootless /x;",
            "\\root /x;",
            "# root /;",
            "{\"root\": \"/srv\"}",
            "[{\"field\":\"host-header\",\"values\":[\"root\"]}]",
        ] {
            assert!(directives(value, Reading::Value).is_empty(), "{value:?}");
        }
    }

    #[test]
    fn values_in_unknown_surroundings() {
        // A later statement left open at the end: the text after the value may end it.
        assert_eq!(directives("x; root /etc", Reading::Value), ["root"]);
        assert_eq!(directives("x } \"root\" /etc", Reading::Value), ["root"]);
        // Written inside quotes, a quote of the value breaks out.
        assert_eq!(directives("v\"; root /etc; \"", Reading::Value), ["root"]);
        assert_eq!(directives("\"; 'alias' /x; \"", Reading::Value), ["alias"]);
        assert_eq!(directives("'; alias /x; '", Reading::Value), ["alias"]);
        // Unreadable values are not errors outside snippets.
        assert!(read("{\"a\": 1}", Reading::Value).unreadable.is_none());
        // A first statement left open is prose, not a directive.
        assert!(directives("root /etc", Reading::Value).is_empty());
        // In a snippet it is a statement.
        assert_eq!(directives("root /etc", Reading::Snippet), ["root"]);
    }

    #[test]
    fn unreadable_snippets() {
        let kind = |v: &str, r: Reading| read(v, r).unreadable.map(|e| (e.line, e.kind));
        assert_eq!(kind("more_set_headers \"X: y\";", Reading::Snippet), None);
        assert_eq!(
            kind("more_set_headers \"X: y;", Reading::Snippet),
            Some((1, ErrorKind::UnclosedQuote('"')))
        );
        assert_eq!(
            kind("a;\n}\nroot /;", Reading::Snippet),
            Some((2, ErrorKind::UnopenedBlockEnd))
        );
        assert_eq!(
            kind("location /x {\n a;", Reading::Snippet),
            Some((1, ErrorKind::UnclosedBlock))
        );
        assert_eq!(
            kind("a b", Reading::Snippet),
            Some((1, ErrorKind::UnendedStatement))
        );
        assert_eq!(
            kind("\"a\"b;", Reading::Snippet),
            Some((1, ErrorKind::Unexpected('b')))
        );
        // The directive is still judged in a snippet nginx would refuse.
        let f = read("'root' /;\n}", Reading::Snippet);
        assert_eq!(f.directives, ["root"]);
        assert!(f.unreadable.is_some());
    }

    #[test]
    fn modsecurity_rules_between_single_quotes() {
        let rules = "SecRuleEngine On\nSecRule ARGS \"@contains attack\" \"id:1,deny\"";
        let f = read(rules, Reading::ModSecurity);
        assert!(f.directives.is_empty() && f.unreadable.is_none(), "{f:?}");
        // A single quote ends the rules: nginx reads what follows as its own statements.
        let f = read("SecRuleEngine On\n'; root /; '", Reading::ModSecurity);
        assert_eq!(f.directives, ["root"]);
        let f = read("SecAction \"id:1,setvar:'tx.x=1'\"", Reading::ModSecurity);
        let e = f.unreadable.unwrap();
        assert_eq!((e.line, e.kind), (1, ErrorKind::Unexpected('t')));
    }
}
