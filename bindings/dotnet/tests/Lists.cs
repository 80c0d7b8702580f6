// The list vectors: OpenRevocationList gives the sequence, or the error the vector names.
using System;
using System.Collections.Generic;
using Ast.ProductKeys;

internal static class Lists
{
    internal static void Check(Dictionary<string, object> vector, KeyVerifier verifier)
    {
        string name = (string)vector["name"];
        string expect = (string)vector["expect"];
        string got;
        uint? sequence = null;
        try
        {
            sequence = verifier.OpenRevocationList((string)vector["list"], Convert.ToUInt32(vector["highest_sequence_seen"]));
            got = "ok";
        }
        catch (ProductKeyException e)
        {
            got = e.ErrorName;
        }
        Program.Expect(name, "list", expect == "ok" ? "ok" : "list_" + expect, got);
        if (expect == "ok")
        {
            Program.Expect(name, "sequence", Convert.ToUInt32(vector["sequence"]), sequence);
        }
    }
}
