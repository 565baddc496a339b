//! `sen user …` and `sen token …` as an operator uses them, on SQLite and PostgreSQL.

use std::{
    io::Write,
    path::PathBuf,
    process::{Command, Output, Stdio},
};

use sen_store::{Backend, SignIn, SignInOutcome, Store, testing};

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sen-accounts-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Runs `sen ARGS --data DIR [--database URL]` with `stdin` as its standard input.
struct Sen {
    data: PathBuf,
    database: Option<String>,
}

impl Sen {
    fn run(&self, args: &[&str], stdin: &str) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_sen"));
        cmd.env_remove("SEN_DATABASE_URL")
            .env_remove("SEN_DATA")
            .env("SEN_LOG", "warn")
            .args(args)
            .arg("--data")
            .arg(&self.data);
        if let Some(url) = &self.database {
            cmd.args(["--database", url]);
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(stdin.as_bytes())
            .expect("write stdin");
        child.wait_with_output().expect("run")
    }

    /// Succeeds and returns standard output.
    fn ok(&self, args: &[&str], stdin: &str) -> String {
        let out = self.run(args, stdin);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Fails and returns standard error, which must name the problem.
    fn fails(&self, args: &[&str], stdin: &str, says: &str) {
        let out = self.run(args, stdin);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} should fail");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }

    fn url(&self) -> String {
        self.database
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data.join("sen.db").display()))
    }
}

const PASSWORD: &str = "Hà Lam mùa thu 2026";

fn accounts_and_tokens(name: &str, database: Option<String>) {
    let sen = Sen {
        data: temp_dir(name),
        database,
    };
    assert!(sen.ok(&["user", "list"], "").contains("no users"));
    let add = [
        "user",
        "add",
        "--username",
        "Admin",
        "--role",
        "admin",
        "--name",
        "Nguyễn Văn A",
        "--password-stdin",
    ];
    assert!(
        sen.ok(&add, &format!("{PASSWORD}\n"))
            .contains("created admin (admin)")
    );
    sen.fails(&add, &format!("{PASSWORD}\n"), "username is taken");
    let add_author = |username: &'static str, role: &'static str| {
        [
            "user",
            "add",
            "--username",
            username,
            "--role",
            role,
            "--password-stdin",
        ]
    };
    sen.fails(
        &add_author("tacgia", "author"),
        "1234567890\n",
        "common or breached",
    );
    sen.fails(
        &add_author("tacgia", "author"),
        "ngắn\n",
        "too short: at least 10 characters",
    );
    sen.fails(
        &add_author("tacgia", "author"),
        "",
        "no password on standard input",
    );
    sen.fails(
        &add_author("tacgia", "root"),
        PASSWORD,
        "unknown role \"root\"",
    );
    sen.fails(
        &add_author("a b", "author"),
        PASSWORD,
        "username must be 3 to 32",
    );
    sen.fails(
        &[
            "user",
            "add",
            "--username",
            "tacgia",
            "--role",
            "author",
            "--category",
            "1",
        ],
        "",
        "--category is for editors only",
    );
    sen.fails(
        &[
            "user",
            "add",
            "--username",
            "bientap",
            "--role",
            "editor",
            "--category",
            "99",
        ],
        "",
        "categories refers to something that does not exist",
    );

    // Without --password-stdin a password is made and printed once.
    let out = sen.ok(
        &["user", "add", "--username", "bientap", "--role", "editor"],
        "",
    );
    let generated = out
        .lines()
        .find_map(|l| l.strip_prefix("password: "))
        .expect("a generated password")
        .to_string();
    assert_eq!(generated.chars().count(), 20);

    let list = sen.ok(&["user", "list"], "");
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 2, "{list}");
    assert!(
        lines[0].contains("admin\tadmin\tactive\tNguyễn Văn A"),
        "{list}"
    );
    assert!(lines[1].contains("bientap\teditor\tactive"), "{list}");

    sen.ok(
        &["user", "passwd", "bientap", "--password-stdin"],
        "một mật khẩu mới\r\n",
    );
    sen.fails(&["user", "passwd", "bientap"], "bientap\n", "too short");
    sen.fails(
        &["user", "passwd", "nobody"],
        PASSWORD,
        "no user \"nobody\"",
    );
    sen.fails(&["user", "disable", "nobody"], "", "no user \"nobody\"");

    let store_said = |username: &str, password: &str| {
        let url = sen.url();
        let (username, password) = (username.to_string(), password.to_string());
        tokio::runtime::Runtime::new()
            .expect("rt")
            .block_on(async move {
                let store = Store::open(&url).await.expect("store");
                let attempt = SignIn {
                    username,
                    password,
                    client: None,
                    user_agent: String::new(),
                };
                let outcome = store
                    .sign_in(&attempt, time::OffsetDateTime::now_utc())
                    .await
                    .expect("sign in");
                store.close().await;
                matches!(outcome, SignInOutcome::SignedIn(_))
            })
    };
    assert!(store_said("bientap", "một mật khẩu mới"));
    assert!(!store_said("bientap", &generated));
    assert!(store_said("admin", PASSWORD));

    // Tokens.
    let token = sen.ok(
        &[
            "token",
            "create",
            "--user",
            "admin",
            "--name",
            "CI",
            "--expires",
            "90d",
        ],
        "",
    );
    let token = token.trim();
    assert!(token.starts_with("sen_") && token.len() == 47, "{token}");
    sen.fails(
        &["token", "create", "--user", "admin", "--expires", "5x"],
        "",
        "not a lifetime",
    );
    sen.fails(
        &["token", "create", "--user", "nobody"],
        "",
        "no user \"nobody\"",
    );
    sen.ok(&["token", "create", "--user", "bientap"], "");
    let list = sen.ok(&["token", "list", "--user", "admin"], "");
    assert_eq!(list.lines().count(), 1, "{list}");
    assert!(
        list.contains("\tadmin\tactive\t") && list.ends_with("\tCI\n"),
        "{list}"
    );
    assert!(!list.contains("expires -"), "an expiry is set: {list}");
    assert!(!list.contains(token), "the token is never shown again");
    assert_eq!(sen.ok(&["token", "list"], "").lines().count(), 2);
    let id = list.split('\t').next().expect("id").to_string();
    assert!(sen.ok(&["token", "revoke", &id], "").contains("revoked"));
    assert!(
        sen.ok(&["token", "list", "--user", "admin"], "")
            .contains("\trevoked\t")
    );
    sen.fails(&["token", "revoke", "999"], "", "no token 999");

    assert!(
        sen.ok(&["user", "disable", "bientap"], "")
            .contains("disabled")
    );
    assert!(
        sen.ok(&["user", "list"], "")
            .contains("bientap\teditor\tdisabled")
    );
    assert!(!store_said("bientap", "một mật khẩu mới"));
    sen.ok(&["user", "enable", "bientap"], "");
    assert!(store_said("bientap", "một mật khẩu mới"));

    // A lost phone: `reset-2fa` turns the second factor off.
    let url = sen.url();
    let enrolled = |on: Option<bool>| {
        let url = url.clone();
        tokio::runtime::Runtime::new()
            .expect("rt")
            .block_on(async move {
                let store = Store::open(&url).await.expect("store");
                let user = store
                    .user_by_username("bientap")
                    .await
                    .expect("user")
                    .expect("bientap");
                if on == Some(true) {
                    let secret = sen_store::new_totp_secret();
                    let now = time::OffsetDateTime::now_utc();
                    let code =
                        sen_core::totp::code_at(&secret, now.unix_timestamp()).expect("code");
                    store
                        .enable_second_factor(&sen_core::Actor::CLI, user.id, &secret, &code, now)
                        .await
                        .expect("enable")
                        .expect("right code");
                }
                user.totp_enabled
            })
    };
    enrolled(Some(true));
    assert!(enrolled(None));
    assert!(
        sen.ok(&["user", "reset-2fa", "bientap"], "")
            .contains("second factor of bientap is off")
    );
    assert!(!enrolled(None));
    assert!(
        sen.ok(&["user", "reset-2fa", "bientap"], "")
            .contains("had no second factor")
    );
    sen.fails(&["user", "reset-2fa", "nobody"], "", "no user \"nobody\"");
}

#[test]
fn accounts_and_tokens_on_sqlite() {
    accounts_and_tokens("sqlite", None);
}

#[test]
fn accounts_and_tokens_on_postgres() {
    let url = tokio::runtime::Runtime::new()
        .expect("rt")
        .block_on(testing::fresh_url(Backend::Postgres));
    accounts_and_tokens("postgres", Some(url));
}
