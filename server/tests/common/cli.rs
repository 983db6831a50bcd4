//! The `infradesk` binary run as an operator would, against a test environment.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use super::TestEnv;

/// Runs the binary with exactly a test environment's configuration.
pub struct Cli<'a> {
    pub env: &'a TestEnv,
}

impl Cli<'_> {
    /// Runs the binary in the temp dir (so no `infradesk.toml` is picked up) with only
    /// this environment's configuration, feeding `stdin`.
    pub fn run(&self, args: &[&str], stdin: &str) -> Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_infradesk"));
        command.args(args).current_dir(self.env.dir.path());
        for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("INFRADESK_")) {
            command.env_remove(key);
        }
        command.envs(self.env.env(&[("INFRADESK_LOG__FILTER", "warn")])).env("USER", "tester");
        let mut child = command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    }

    #[track_caller]
    pub fn ok(&self, args: &[&str], stdin: &str) -> String {
        let out = self.run(args, stdin);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "infradesk {args:?} failed: {stdout}\n{stderr}");
        stdout
    }

    #[track_caller]
    pub fn fails(&self, args: &[&str], stdin: &str) -> String {
        let out = self.run(args, stdin);
        assert!(!out.status.success(), "infradesk {args:?} should fail");
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(!stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"), "{stderr}");
        stderr
    }
}
