//! `fixgate bench --formats`: parse throughput per format on large generated
//! reports (Trivy JSON, CycloneDX JSON and XML, SARIF, Gitleaks), each parsed in a
//! process of its own, with its peak memory against the file's size.
//!
//! The generators are deterministic: the same size gives the same bytes.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::Command;

use anyhow::Context;
use serde_json::json;

use crate::cli::BenchArgs;
use crate::output::print;

/// The formats measured, with the file each is generated into.
const REPORTS: &[(&str, &str, Generator)] = &[
    ("trivy", "trivy.json", trivy),
    ("cyclonedx", "cyclonedx.json", cyclonedx_json),
    ("cyclonedx", "cyclonedx.xml", cyclonedx_xml),
    ("sarif", "sarif.sarif", sarif),
    ("gitleaks", "gitleaks.json", gitleaks),
];

type Generator = fn(&mut dyn Write, u64) -> anyhow::Result<()>;

pub async fn bench_formats(args: &BenchArgs) -> anyhow::Result<()> {
    std::fs::create_dir_all(&args.work_dir)
        .with_context(|| format!("cannot create {}", args.work_dir.display()))?;
    let target = args.size_mb * 1024 * 1024;
    print(
        "format      file             MB   findings   seconds     MB/s   peak RSS (MB)   RSS/size\n",
    )?;
    for (format, file, generate) in REPORTS {
        let path = args.work_dir.join(format!("{}-{}", args.size_mb, file));
        if !path.exists() {
            let mut out = BufWriter::new(File::create(&path)?);
            generate(&mut out, target)?;
            out.flush()?;
        }
        let output = Command::new(std::env::current_exe()?)
            .args(["bench", "--phase", "parse-format", "--format", format, "--report"])
            .arg(&path)
            .output()
            .context("cannot run a benchmark phase")?;
        anyhow::ensure!(
            output.status.success(),
            "parsing {} failed: {}",
            path.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        );
        let stdout = String::from_utf8_lossy(&output.stdout);
        let parts: Vec<f64> = stdout.split_whitespace().filter_map(|p| p.parse().ok()).collect();
        let [findings, seconds, peak_kb] = parts[..] else {
            anyhow::bail!("unexpected phase output {stdout:?}");
        };
        let mb = std::fs::metadata(&path)?.len() as f64 / (1024.0 * 1024.0);
        let peak_mb = peak_kb / 1024.0;
        print(&format!(
            "{format:<10} {file:<15} {mb:>5.0} {findings:>10.0} {seconds:>9.3} {:>8.0} {peak_mb:>15.0} {:>10.2}\n",
            mb / seconds.max(1e-9),
            peak_mb / mb.max(1e-9)
        ))?;
    }
    Ok(())
}

/// The child's side: parse `report` as `format`, print findings, seconds and
/// peak RSS in KiB.
pub fn parse_phase(format: &str, report: &Path) -> anyhow::Result<()> {
    let parser = fixgate_intake::formats::by_name(format).context("unknown format")?;
    let started = std::time::Instant::now();
    let mut file = std::io::BufReader::with_capacity(256 * 1024, File::open(report)?);
    let mut counter = crate::bench::Counter(0);
    (parser.parse)(&mut file, &fixgate_intake::Options::default(), &mut counter)?;
    let seconds = started.elapsed().as_secs_f64();
    let peak = crate::bench::peak_rss_kb().unwrap_or(0);
    print(&format!("{} {seconds} {peak}\n", counter.0))
}

/// A small deterministic mixer: the n-th value of a sequence.
fn mix(n: u64) -> u64 {
    n.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(17) ^ (n >> 3)
}

fn cwe_of(m: u64) -> u32 {
    match m % 5 {
        0 => 79,
        1 => 89,
        2 => 400,
        3 => 1321,
        _ => 22,
    }
}

const SEVERITIES: [&str; 5] = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN"];

/// A Trivy schema-2 report: targets of 1,000 vulnerabilities each.
fn trivy(out: &mut dyn Write, target: u64) -> anyhow::Result<()> {
    let mut written = 0u64;
    write!(
        out,
        r#"{{"SchemaVersion": 2, "ArtifactName": "registry.example/shop:1.0", "ArtifactType": "container_image", "Results": ["#
    )?;
    let mut n = 0u64;
    let mut first_target = true;
    while written < target {
        if !first_target {
            out.write_all(b",")?;
        }
        first_target = false;
        let head = format!(
            r#"{{"Target": "app/lockfile-{}.json", "Class": "lang-pkgs", "Type": "npm", "Vulnerabilities": ["#,
            n / 1000
        );
        out.write_all(head.as_bytes())?;
        written += head.len() as u64;
        for i in 0..1000 {
            let m = mix(n);
            let severity = SEVERITIES.get((m % 5) as usize).copied().unwrap_or("LOW");
            let item = json!({
                "VulnerabilityID": format!("CVE-{}-{:05}", 2015 + m % 10, m % 100_000),
                "PkgID": format!("package-{}@1.{}.{}", m % 5000, m % 20, m % 7),
                "PkgName": format!("package-{}", m % 5000),
                "PkgIdentifier": {"PURL": format!("pkg:npm/package-{}@1.{}.{}", m % 5000, m % 20, m % 7)},
                "InstalledVersion": format!("1.{}.{}", m % 20, m % 7),
                "FixedVersion": format!("1.{}.0", m % 20 + 1),
                "Status": "fixed",
                "SeveritySource": "nvd",
                "PrimaryURL": format!("https://avd.aquasec.com/nvd/cve-{}-{:05}", 2015 + m % 10, m % 100_000),
                "Title": format!("package-{}: prototype pollution in merge of nested objects", m % 5000),
                "Description": "A crafted object passed to the merge function can add or change properties of Object.prototype, which lets an attacker alter the behaviour of the application or cause a denial of service.",
                "Severity": severity,
                "CweIDs": [format!("CWE-{}", cwe_of(m))],
                "CVSS": {"nvd": {"V3Vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "V3Score": 9.8}},
                "References": [format!("https://github.com/advisories/GHSA-{:04x}-{:04x}-{:04x}", m & 0xffff, (m >> 16) & 0xffff, (m >> 32) & 0xffff)],
                "PublishedDate": "2021-02-15T13:15:00Z",
                "LastModifiedDate": "2022-09-13T21:25:00Z"
            });
            if i > 0 {
                out.write_all(b",")?;
            }
            let text = item.to_string();
            out.write_all(text.as_bytes())?;
            written += text.len() as u64 + 1;
            n += 1;
        }
        out.write_all(b"]}")?;
    }
    write!(out, "]}}")?;
    Ok(())
}

/// Components and their vulnerabilities in CycloneDX 1.5 JSON.
fn cyclonedx_json(out: &mut dyn Write, target: u64) -> anyhow::Result<()> {
    let count = target / 640;
    write!(
        out,
        r#"{{"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "metadata": {{"tools": {{"components": [{{"type": "application", "name": "bench-generator", "version": "1"}}]}}, "component": {{"type": "application", "name": "shop", "bom-ref": "shop"}}}}, "components": ["#
    )?;
    let components = count / 4 + 1;
    for c in 0..components {
        if c > 0 {
            out.write_all(b",")?;
        }
        let item = json!({"type": "library", "bom-ref": format!("pkg:npm/package-{c}@1.{}.0", c % 20),
            "name": format!("package-{c}"), "version": format!("1.{}.0", c % 20),
            "purl": format!("pkg:npm/package-{c}@1.{}.0", c % 20)});
        out.write_all(item.to_string().as_bytes())?;
    }
    out.write_all(br#"], "vulnerabilities": ["#)?;
    for n in 0..count {
        let m = mix(n);
        let c = m % components;
        if n > 0 {
            out.write_all(b",")?;
        }
        let severity =
            SEVERITIES.get((m % 5) as usize).copied().unwrap_or("LOW").to_ascii_lowercase();
        let item = json!({
            "bom-ref": format!("vuln-{n}"),
            "id": format!("CVE-{}-{:05}", 2015 + m % 10, m % 100_000),
            "source": {"name": "NVD", "url": "https://nvd.nist.gov/"},
            "references": [{"id": format!("GHSA-{:04x}-{:04x}-{:04x}", m & 0xffff, (m >> 16) & 0xffff, (m >> 32) & 0xffff), "source": {"name": "GitHub"}}],
            "ratings": [{"source": {"name": "NVD"}, "score": 7.5, "severity": severity, "method": "CVSSv31", "vector": "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"}],
            "cwes": [cwe_of(m)],
            "description": "A crafted request makes the parser allocate without bound, which exhausts memory and stops the service for every user.",
            "recommendation": format!("Upgrade package-{c} to 1.{}.1 or later.", c % 20),
            "advisories": [{"url": format!("https://nvd.nist.gov/vuln/detail/CVE-{}-{:05}", 2015 + m % 10, m % 100_000)}],
            "affects": [{"ref": format!("pkg:npm/package-{c}@1.{}.0", c % 20)}]
        });
        out.write_all(item.to_string().as_bytes())?;
    }
    out.write_all(b"]}")?;
    Ok(())
}

/// The same content as [`cyclonedx_json`], in CycloneDX 1.5 XML.
fn cyclonedx_xml(out: &mut dyn Write, target: u64) -> anyhow::Result<()> {
    let count = target / 760;
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<bom xmlns="http://cyclonedx.org/schema/bom/1.5" version="1"><metadata><component type="application" bom-ref="shop"><name>shop</name></component></metadata><components>"#
    )?;
    let components = count / 4 + 1;
    for c in 0..components {
        writeln!(
            out,
            r#"<component type="library" bom-ref="pkg:npm/package-{c}@1.{v}.0"><name>package-{c}</name><version>1.{v}.0</version><purl>pkg:npm/package-{c}@1.{v}.0</purl></component>"#,
            v = c % 20
        )?;
    }
    writeln!(out, "</components><vulnerabilities>")?;
    for n in 0..count {
        let m = mix(n);
        let c = m % components;
        let severity =
            SEVERITIES.get((m % 5) as usize).copied().unwrap_or("LOW").to_ascii_lowercase();
        writeln!(
            out,
            r#"<vulnerability bom-ref="vuln-{n}"><id>CVE-{y}-{s:05}</id><source><name>NVD</name><url>https://nvd.nist.gov/</url></source><ratings><rating><source><name>NVD</name></source><score>7.5</score><severity>{severity}</severity><method>CVSSv31</method><vector>AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N</vector></rating></ratings><cwes><cwe>{cwe}</cwe></cwes><description>A crafted request makes the parser allocate without bound, which exhausts memory and stops the service for every user.</description><recommendation>Upgrade package-{c} to 1.{v}.1 or later.</recommendation><advisories><advisory><url>https://nvd.nist.gov/vuln/detail/CVE-{y}-{s:05}</url></advisory></advisories><affects><target><ref>pkg:npm/package-{c}@1.{v}.0</ref></target></affects></vulnerability>"#,
            y = 2015 + m % 10,
            s = m % 100_000,
            cwe = cwe_of(m),
            v = c % 20,
        )?;
    }
    writeln!(out, "</vulnerabilities></bom>")?;
    Ok(())
}

/// Many small findings, each with a secret to protect: Gitleaks 8 JSON.
fn gitleaks(out: &mut dyn Write, target: u64) -> anyhow::Result<()> {
    let mut written = 1u64;
    out.write_all(b"[")?;
    let mut n = 0u64;
    while written < target {
        let secret = format!("AKIA{n:016}");
        let line = n % 500 + 1;
        let file = format!("src/config/module_{}/settings.py", n % 3000);
        let item = json!({
            "RuleID": "aws-access-token",
            "Description": "Identified a pattern that may indicate AWS credentials, risking unauthorized cloud resource access and data breaches on AWS platforms.",
            "StartLine": line, "EndLine": line, "StartColumn": 9, "EndColumn": 29,
            "Match": format!("aws_key = \"{secret}\""), "Secret": secret, "File": file,
            "SymlinkFile": "", "Commit": format!("{n:040x}"), "Entropy": 3.5, "Author": "Dev",
            "Email": "dev@example.com", "Date": "2024-01-01T00:00:00Z", "Message": "add config",
            "Tags": [], "Fingerprint": format!("{n:040x}:{file}:aws-access-token:{line}")
        });
        if n > 0 {
            out.write_all(b",")?;
        }
        let text = item.to_string();
        out.write_all(text.as_bytes())?;
        written += text.len() as u64 + 1;
        n += 1;
    }
    out.write_all(b"]")?;
    Ok(())
}

/// SARIF of the benchmark's usual shape, sized to `target`.
fn sarif(out: &mut dyn Write, target: u64) -> anyhow::Result<()> {
    let results = u32::try_from(target / 700).unwrap_or(u32::MAX);
    crate::bench::write_sarif(out, results, 0.0, 0.0, 0).map(|_| ())
}
