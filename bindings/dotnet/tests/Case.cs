// One key vector: the binding's typed verdict and JSON against the vector and the verifier.
using System;
using System.Collections.Generic;
using System.Linq;
using Ast.ProductKeys;

internal sealed class Case
{
    // The feature catalog (docs/key-format.md): bit n is the n-th name.
    private static readonly string[] Features =
    {
        "dataflow", "workflow", "subflow", "data-model", "report-model", "api-flow", "edi",
        "scheduler", "data-quality", "pushdown", "cdc", "cloud-connectors",
    };

    private readonly Dictionary<string, object> vector;

    internal Case(Dictionary<string, object> vector, KeyVerifier verifier)
    {
        this.vector = vector;
        Verifier = verifier;
        Name = (string)vector["name"];
        Text = (string)vector["key"];
        Organization = (string)vector["org"];
        Day = JsonFile.Day(vector["at"]);
        object list;
        RevocationList = vector.TryGetValue("revocations", out list) ? (string)list : null;
    }

    internal string Name { get; }
    internal KeyVerifier Verifier { get; }
    internal string Text { get; }
    internal string Organization { get; }
    internal DateTime Day { get; }
    internal string RevocationList { get; }

    // What the verifier printed: the JSON every later call must give again.
    internal string ExpectedJson { get; private set; }

    internal string Json()
    {
        return RevocationList == null
            ? Verifier.CheckJson(Text, Organization, Day)
            : Verifier.CheckJson(Text, Organization, Day, RevocationList);
    }

    internal Verdict Verdict()
    {
        return RevocationList == null
            ? Verifier.Check(Text, Organization, Day)
            : Verifier.Check(Text, Organization, Day, RevocationList);
    }

    internal void Run(VerifierTool tool)
    {
        var said = tool.Check(vector);
        ExpectedJson = said.Item2;
        string json = Json();
        Program.Expect(Name, "JSON equal to verifier check --json", said.Item2, json + "\n");
        var printed = JsonFile.Parse(said.Item2);

        Verdict v = Verdict();
        string status = (string)vector["status"];
        Program.Expect(Name, "status name", status, v.StatusName);
        Program.Expect(Name, "status", status, StatusName(v.Status));
        Program.Expect(Name, "exit code", said.Item1, v.ExitCode);
        Program.Expect(Name, "valid", status == "valid", v.IsValid);
        Program.Expect(Name, "message", printed["message"], v.Message);
        Program.Expect(Name, "key_text", printed["key_text"], v.KeyText);
        var found = vector["found"] as Dictionary<string, object>;
        Program.Expect(Name, "found", found == null ? null : found["from"] + "-" + found["to"],
            v.Found == null ? null : v.Found.From + "-" + v.Found.To);
        Program.Expect(Name, "fields read", printed["key"] != null, v.Key != null);
        if (status == "valid")
        {
            Program.Expect(Name, "trusted", true, v.IsTrusted);
            CheckFields((Dictionary<string, object>)vector["fields"], v.Key);
        }
        if (RevocationList != null && status != "malformed")
        {
            Program.Expect(Name, "revocation list applied", true, v.RevocationSequence.HasValue);
        }

        string explained = Verifier.ExplainJson(Text, Organization, Day, RevocationList);
        var explanation = JsonFile.Parse(explained);
        Program.Expect(Name, "explanation status", status, explanation["status"]);
        Program.Expect(Name, "explanation headline", v.Message, explanation["headline"]);
    }

    private void CheckFields(Dictionary<string, object> f, KeyFields k)
    {
        Program.Expect(Name, "product", f["product"], k.Product);
        Program.Expect(Name, "major_version", f["major_version"], k.MajorVersion);
        Program.Expect(Name, "serial", f["serial"], k.SerialHex);
        Program.Expect(Name, "key_id", f["key_id"], k.KeyIdHex);
        Program.Expect(Name, "organization", f["organization"], k.Organization);
        Program.Expect(Name, "seats", f["seats"], k.Seats);
        ulong bits = ((object[])f["features"]).Cast<string>()
            .Aggregate(0UL, (b, n) => b | 1UL << Array.IndexOf(Features, n));
        bits = ((object[])f["unknown_feature_bits"]).Aggregate(bits, (b, n) => b | 1UL << (int)n);
        Program.Expect(Name, "features", bits, k.Features);
        Program.Expect(Name, "issued", JsonFile.Day(f["issued"]), k.Issued);
        Program.Expect(Name, "expires", f["expires"] == null ? (DateTime?)null : JsonFile.Day(f["expires"]), k.Expires);
        Program.Expect(Name, "supersedes", f["supersedes"], k.Supersedes.HasValue ? k.Supersedes.Value.ToString("x16") : null);
    }

    // The status enum's names as the JSON writes them: NotYetValid is "not_yet_valid".
    private static string StatusName(KeyStatus status)
    {
        return string.Concat(status.ToString().Select((c, i) =>
            char.IsUpper(c) ? (i > 0 ? "_" : "") + char.ToLowerInvariant(c) : c.ToString()));
    }
}
