// Records the compiler's version for `hello` (the suite's cache key already covers it).
use std::process::Command;

fn main() {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let version = Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .map(|text| text.trim().to_string())
        .unwrap_or_else(|| "rustc (unknown version)".into());
    println!("cargo:rustc-env=SOCKSPEC_RUSTC_VERSION={version}");
    let lock = std::fs::read_to_string("Cargo.lock").unwrap_or_default();
    // socket2's and nix's versions as Cargo.lock pins them.
    let pinned = |name: &str| {
        let mut lines = lock.lines();
        while let Some(line) = lines.next() {
            if line.trim() == format!("name = \"{name}\"") {
                if let Some(next) = lines.next() {
                    return next
                        .trim()
                        .trim_start_matches("version = ")
                        .trim_matches('"')
                        .to_string();
                }
            }
        }
        String::from("unknown")
    };
    println!(
        "cargo:rustc-env=SOCKSPEC_SOCKET2_VERSION={}",
        pinned("socket2")
    );
    println!("cargo:rustc-env=SOCKSPEC_NIX_VERSION={}", pinned("nix"));
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=Cargo.lock");
}
