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
    // socket2's version as Cargo.lock pins it.
    let lock = std::fs::read_to_string("Cargo.lock").unwrap_or_default();
    let mut lines = lock.lines();
    let mut socket2 = String::from("unknown");
    while let Some(line) = lines.next() {
        if line.trim() == "name = \"socket2\"" {
            if let Some(next) = lines.next() {
                socket2 = next
                    .trim()
                    .trim_start_matches("version = ")
                    .trim_matches('"')
                    .to_string();
            }
            break;
        }
    }
    println!("cargo:rustc-env=SOCKSPEC_SOCKET2_VERSION={socket2}");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=Cargo.lock");
}
