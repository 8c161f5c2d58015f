// Records the compiler's version and the pinned tokio / mio / socket2 versions for `hello`
// (the suite's cache key already covers them).
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
    // A crate's version as Cargo.lock pins it.
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
    for (name, var) in [
        ("tokio", "SOCKSPEC_TOKIO_VERSION"),
        ("mio", "SOCKSPEC_MIO_VERSION"),
        ("socket2", "SOCKSPEC_SOCKET2_VERSION"),
    ] {
        println!("cargo:rustc-env={var}={}", pinned(name));
    }
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=Cargo.lock");
}
