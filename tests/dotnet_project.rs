//! The SDK-style project bindings/dotnet/Ast.ProductKeys.csproj (for a Visual Studio or .NET 8
//! developer) builds the assembly that scripts/build-dotnet.sh builds with Mono's mcs: the
//! same sources, assembly name, language version, defines, warnings and attributes, read from
//! the scripts themselves, so that a change to one build fails here until the other follows.
//! Where a .NET SDK is installed, the project is also built; where none is (Debian has no
//! .NET SDK package, and no other package source is reachable from the build machines), that
//! part says it was skipped and why.

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn read(path: &str) -> String {
    std::fs::read_to_string(repo().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The text of the project's one `<name>` property.
fn property<'a>(project: &'a str, name: &str) -> &'a str {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let mut found = project.match_indices(&open).map(|(at, _)| {
        let rest = &project[at + open.len()..];
        rest[..rest.find(&close).unwrap_or_else(|| panic!("no {close}"))].trim()
    });
    let value = found.next().unwrap_or_else(|| panic!("the project has no <{name}>"));
    assert!(found.next().is_none(), "the project has two <{name}>");
    value
}

/// The values of `attribute="..."` in each `<element ...>` of the project.
fn includes(project: &str, element: &str) -> Vec<String> {
    let start = format!("<{element} Include=\"");
    project
        .match_indices(&start)
        .map(|(at, _)| {
            let rest = &project[at + start.len()..];
            rest[..rest.find('"').expect("closing quote")].to_owned()
        })
        .collect()
}

/// What the mcs build compiles: `bindings/dotnet/src/*.cs`, as build-dotnet.sh says.
fn mcs_sources() -> Vec<String> {
    let script = read("scripts/build-dotnet.sh");
    assert!(
        script.contains("\"$repo\"/bindings/dotnet/src/*.cs"),
        "scripts/build-dotnet.sh no longer compiles bindings/dotnet/src/*.cs: update this test and the .csproj"
    );
    let mut sources: Vec<String> = std::fs::read_dir(repo().join("bindings/dotnet/src"))
        .expect("src")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".cs"))
        .map(|name| format!("src/{name}"))
        .collect();
    sources.sort();
    sources
}

/// The `mcs` command line of rules.sh, one flag a word.
fn mcs_flags() -> Vec<String> {
    let rules = read("bindings/dotnet/rules.sh");
    let start = rules.find("  mcs ").expect("rules.sh runs mcs");
    let command = rules[start..].split("\"$@\"").next().expect("mcs arguments");
    command.split_whitespace().filter(|w| *w != "\\").map(str::to_owned).collect()
}

#[test]
fn the_csproj_compiles_what_the_mcs_build_compiles() {
    let project = read("bindings/dotnet/Ast.ProductKeys.csproj");
    let mut compiled = includes(&project, "Compile");
    compiled.sort();
    assert_eq!(compiled, mcs_sources(), "the .csproj's <Compile> items are not the files mcs compiles");
    assert_eq!(property(&project, "EnableDefaultCompileItems"), "false", "tests/*.cs would be compiled too");

    let script = read("scripts/build-dotnet.sh");
    assert!(
        script.contains("dotnet_compile \"$out/Ast.ProductKeys.dll\" library "),
        "the mcs build's assembly name or kind changed"
    );
    assert_eq!(property(&project, "AssemblyName"), "Ast.ProductKeys");

    let flags = mcs_flags();
    let has = |flag: &str| flags.iter().any(|f| f == flag);
    assert!(has("-target:\"$kind\"") && has("-langversion:7"), "{flags:?}");
    assert_eq!(property(&project, "LangVersion"), "7");
    assert_eq!(has("-warnaserror+"), property(&project, "TreatWarningsAsErrors") == "true", "{flags:?}");
    assert!(has("-warn:4"), "{flags:?}");
    assert_eq!(property(&project, "WarningLevel"), "4");
    assert_eq!(has("-optimize+"), property(&project, "Optimize") == "true", "{flags:?}");
    // Neither build defines a symbol or allows unsafe code.
    let everything = format!("{} {script}", flags.join(" "));
    assert!(!everything.contains("-define:") && !everything.contains("-d:"), "mcs now defines symbols");
    assert_eq!(property(&project, "DefineConstants"), "");
    assert!(!everything.contains("-unsafe"), "mcs now allows unsafe code");
    assert_eq!(property(&project, "AllowUnsafeBlocks"), "false");
    // The documentation file, as mcs -doc writes it.
    assert!(script.contains("-doc:\"$out/Ast.ProductKeys.xml\""));
    assert_eq!(property(&project, "GenerateDocumentationFile"), "true");

    // The assembly attributes of the mcs build's generated AssemblyInfo.
    let attribute = |name: &str| {
        let start = format!("[assembly: System.Reflection.{name}(\"");
        let at =
            script.find(&start).unwrap_or_else(|| panic!("build-dotnet.sh sets no {name}")) + start.len();
        script[at..at + script[at..].find("\")]").expect("attribute end")].to_owned()
    };
    assert_eq!(property(&project, "AssemblyTitle"), attribute("AssemblyTitle"));
    assert_eq!(property(&project, "Description"), attribute("AssemblyDescription"));
    assert_eq!(attribute("AssemblyVersion"), "$version.0");
    let cargo = read("Cargo.toml");
    let version = cargo
        .lines()
        .find_map(|l| l.strip_prefix("version = \""))
        .and_then(|v| v.strip_suffix('"'))
        .expect("workspace version");
    assert_eq!(property(&project, "Version"), version, "the .csproj's version is not the workspace's");
    assert!(script.contains("[assembly: System.CLSCompliant(false)]"));
    assert_eq!(includes(&project, "AssemblyAttribute"), ["System.CLSCompliantAttribute"]);
    assert!(project.contains("<_Parameter1>false</_Parameter1>"));

    // One target for .NET Framework 4.8 and .NET 6+, as the package declares.
    assert_eq!(property(&project, "TargetFramework"), "netstandard2.0");
    assert!(read("bindings/dotnet/Ast.ProductKeys.nuspec").contains("targetFramework=\".NETStandard2.0\""));
}

/// Builds the project with the .NET SDK where one is installed.
#[test]
fn the_csproj_builds_with_the_dotnet_sdk_where_there_is_one() {
    let sdk = Command::new("dotnet").arg("--list-sdks").output();
    let listed = sdk.as_ref().map(|o| String::from_utf8_lossy(&o.stdout).into_owned()).unwrap_or_default();
    if listed.trim().is_empty() {
        eprintln!(
            "skipped: no .NET SDK here (`dotnet --list-sdks` lists none: Debian has no .NET SDK package and \
             Microsoft's package source is not reachable from the build machines); the .csproj is checked \
             against the mcs build by the_csproj_compiles_what_the_mcs_build_compiles"
        );
        return;
    }
    let out = tempfile::tempdir().expect("tempdir");
    let project = repo().join("bindings/dotnet/Ast.ProductKeys.csproj");
    let o = Command::new("dotnet")
        .args(["build", "-c", "Release", "--nologo", "-o"])
        .arg(out.path())
        .arg(&project)
        .output()
        .expect("dotnet build runs");
    assert!(
        o.status.success(),
        "dotnet build failed:\n{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(Path::new(&out.path().join("Ast.ProductKeys.dll")).is_file());
    assert!(Path::new(&out.path().join("Ast.ProductKeys.xml")).is_file());
}
