#!/usr/bin/env bash
# Writes one fuzz target per report format (fuzz/fuzz_targets/<format>.rs)
# and its [[bin]] entry, from the formats `fixgate parse --list-formats`
# prints. Run after adding a format; a test fails until every format has one.
# Targets of files that are not reports are written by hand; their entries
# are written again here, after the formats'.
set -euo pipefail
by_hand="exploits-kev exploits-epss"
cd "$(dirname "${BASH_SOURCE[0]}")"
formats=$(cargo run -q --manifest-path ../Cargo.toml -p fixgate -- parse --list-formats | cut -f1)
{
  sed '/^\[\[bin\]\]/,$d' Cargo.toml
  for name in $formats; do
    file="fuzz_targets/${name}.rs"
    if [[ ! -f "$file" ]]; then
      cat > "$file" <<RS
//! Fuzzes the \`${name}\` parser and format detection; see \`fuzz/src/lib.rs\`.
//!
//! \`\`\`text
//! RUSTC_BOOTSTRAP=1 cargo fuzz run ${name} -- -max_total_time=60
//! \`\`\`

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fixgate_fuzz::check("${name}", data));
RS
    fi
    printf '[[bin]]\nname = "%s"\npath = "%s"\ntest = false\ndoc = false\nbench = false\n\n' "$name" "$file"
  done
  for name in $by_hand; do
    printf '[[bin]]\nname = "%s"\npath = "%s"\ntest = false\ndoc = false\nbench = false\n\n' "$name" "fuzz_targets/${name}.rs"
  done
} > Cargo.toml.new
sed -i -e :a -e '/^\n*$/{$d;N;ba' -e '}' Cargo.toml.new
mv Cargo.toml.new Cargo.toml
