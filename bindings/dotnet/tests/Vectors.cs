// Every committed vector through Ast.ProductKeys, as the product calls it: the typed verdict
// against the vector, and the JSON byte for byte against what `verifier check --json` prints
// for the same input (run here on each vector); then the list vectors, the refusals, and one
// KeyVerifier shared by several threads at once.
// Usage: mono vectors.exe tests/vectors path/to/verifier
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Web.Script.Serialization;
using Ast.ProductKeys;

internal static class Program
{
    internal static readonly List<string> Mismatches = new List<string>();

    private static int Main(string[] args)
    {
        if (args.Length != 2)
        {
            Console.Error.WriteLine("usage: vectors.exe VECTORS_DIR VERIFIER");
            return 2;
        }
        string dir = args[0];
        var verifierTool = new VerifierTool(args[1]);
        var verifiers = new Dictionary<string, KeyVerifier>();
        var cases = new List<Case>();
        int count = 0;
        try
        {
            foreach (string path in Directory.GetFiles(dir, "*.json").OrderBy(p => p, StringComparer.Ordinal))
            {
                var vector = JsonFile.Read(path);
                var c = new Case(vector, VerifierFor(verifiers, vector));
                c.Run(verifierTool);
                cases.Add(c);
                count++;
            }
            foreach (string path in Directory.GetFiles(Path.Combine(dir, "revocations"), "*.json")
                .OrderBy(p => p, StringComparer.Ordinal))
            {
                Lists.Check(JsonFile.Read(path), VerifierFor(verifiers, JsonFile.Read(path)));
                count++;
            }
            Refusals.Check(cases.First(c => c.Name == "all_features"));
            Threads.Check(cases, verifierTool);
        }
        finally
        {
            foreach (var v in verifiers.Values)
            {
                v.Dispose();
            }
        }
        foreach (string line in Mismatches)
        {
            Console.WriteLine(line);
        }
        Console.WriteLine(count + " vectors checked, " + Mismatches.Count + " mismatches");
        return Mismatches.Count == 0 && count > 0 ? 0 : 1;
    }

    internal static void Expect(string name, string what, object expected, object got)
    {
        if (!Equals(expected, got))
        {
            Mismatches.Add(name + ": " + what + ": expected " + Show(expected) + ", got " + Show(got));
        }
    }

    private static string Show(object value)
    {
        return value == null ? "null" : "'" + value + "'";
    }

    // One KeyVerifier per set of trusted keys, given as PEMs as keygen init writes them.
    private static KeyVerifier VerifierFor(Dictionary<string, KeyVerifier> made, Dictionary<string, object> vector)
    {
        string[] hexKeys = ((object[])vector["trusted_public_keys"]).Cast<string>().ToArray();
        string id = string.Join(",", hexKeys);
        KeyVerifier verifier;
        if (!made.TryGetValue(id, out verifier))
        {
            verifier = new KeyVerifier(hexKeys.Select(Pem.FromHex).ToArray());
            made.Add(id, verifier);
        }
        return verifier;
    }
}

internal static class JsonFile
{
    private static readonly JavaScriptSerializer Serializer = new JavaScriptSerializer { MaxJsonLength = int.MaxValue };

    internal static Dictionary<string, object> Read(string path)
    {
        return Parse(File.ReadAllText(path));
    }

    internal static Dictionary<string, object> Parse(string text)
    {
        return (Dictionary<string, object>)Serializer.DeserializeObject(text);
    }

    internal static DateTime Day(object text)
    {
        return DateTime.ParseExact((string)text, "yyyy-MM-dd", CultureInfo.InvariantCulture);
    }
}

internal static class Pem
{
    // An Ed25519 SubjectPublicKeyInfo is this 12-byte header and the 32-byte key.
    private static readonly byte[] SpkiHeader = { 0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00 };

    internal static string FromHex(string hex)
    {
        var der = new byte[SpkiHeader.Length + 32];
        SpkiHeader.CopyTo(der, 0);
        for (int i = 0; i < 32; i++)
        {
            der[SpkiHeader.Length + i] = Convert.ToByte(hex.Substring(2 * i, 2), 16);
        }
        return "-----BEGIN PUBLIC KEY-----\n" + Convert.ToBase64String(der) + "\n-----END PUBLIC KEY-----\n";
    }
}
