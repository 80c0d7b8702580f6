// What the product must be able to rely on: refusals as exceptions that name the error.
using System;
using Ast.ProductKeys;

internal static class Refusals
{
    private const string TestKeyHex = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

    internal static void Check(Case valid)
    {
        var day = new DateTime(2027, 1, 1);
        Throws("day before 1970", "day_out_of_range", () => valid.Verifier.Check(valid.Text, null, new DateTime(1969, 12, 31)));
        Throws("day after 2149-06-06", "day_out_of_range", () => valid.Verifier.CheckJson(valid.Text, null, new DateTime(2149, 6, 7)));
        Throws("damaged list", "list_malformed",
            () => valid.Verifier.CheckJson(valid.Text, null, day, "-----BEGIN REVOCATION LIST-----\nAAAA\n-----END REVOCATION LIST-----\n"));
        Throws("weak public key", "bad_public_key", () => new KeyVerifier(new string('0', 64)));
        Throws("a private key", "bad_public_key", () => new KeyVerifier("-----BEGIN PRIVATE KEY-----\n"));
        Throws<ArgumentException>("no public key", () => new KeyVerifier());
        Throws<ArgumentException>("NUL in the text", () => valid.Verifier.Check("AST8-\0", null, day));
        Throws<ArgumentException>("lone surrogate", () => valid.Verifier.Check(valid.Text, "Acme \ud800", day));
        Throws<ArgumentNullException>("null text", () => valid.Verifier.CheckJson(null, null, day));

        // The hex form is accepted too; 2149-06-06 is the last day there is.
        using (var hex = new KeyVerifier(TestKeyHex))
        {
            Program.Expect("refusals", "hex key, last day", KeyStatus.Expired, hex.Check(valid.Text, null, new DateTime(2149, 6, 6)).Status);
            // A local time is first turned into UTC: the checking day is UTC's.
            var local = new DateTime(2027, 1, 1, 12, 0, 0, DateTimeKind.Utc).ToLocalTime();
            Program.Expect("refusals", "local time", hex.CheckJson(valid.Text, null, day), hex.CheckJson(valid.Text, null, local));
        }

        var disposed = new KeyVerifier(TestKeyHex);
        disposed.Dispose();
        disposed.Dispose();
        Throws<ObjectDisposedException>("disposed", () => disposed.Check(valid.Text, null, day));
    }

    private static void Throws(string what, string errorName, Action call)
    {
        try
        {
            call();
            Program.Expect("refusals", what, errorName, "no exception");
        }
        catch (ProductKeyException e)
        {
            Program.Expect("refusals", what, errorName, e.ErrorName);
            Program.Expect("refusals", what + " has a message", true, !string.IsNullOrEmpty(e.Message));
        }
    }

    private static void Throws<T>(string what, Action call) where T : Exception
    {
        try
        {
            call();
            Program.Expect("refusals", what, typeof(T).Name, "no exception");
        }
        catch (T)
        {
        }
    }
}
