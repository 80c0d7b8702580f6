namespace Ast.ProductKeys
{
    /// <summary>The status of a key: the same eight, in the same order of checks, as
    /// <c>verifier check</c> (the values are the C ABI's <c>PkStatus</c>).</summary>
    public enum KeyStatus
    {
        /// <summary>Not a key of this format, or mistyped (exit code 3).</summary>
        Malformed = 0,
        /// <summary>Signed by an untrusted key, or the signature fails (4).</summary>
        NotGenuine = 1,
        /// <summary>Genuine, but for another product or version, or needs a newer release (5).</summary>
        WrongProduct = 2,
        /// <summary>Named by the revocation list given (8).</summary>
        Revoked = 3,
        /// <summary>Issued more than one day after the checking day (7).</summary>
        NotYetValid = 4,
        /// <summary>The checking day is after the last valid day (7).</summary>
        Expired = 5,
        /// <summary>The organization given does not match the key's (6).</summary>
        OrgMismatch = 6,
        /// <summary>Every check passed (0): the only status that unlocks the product.</summary>
        Valid = 7,
    }

    /// <summary>Why the library gave no verdict (the C ABI's <c>PkError</c>, without OK).</summary>
    public enum ProductKeyError
    {
        /// <summary>A required value was missing.</summary>
        NullPointer = 1,
        /// <summary>A text was not valid UTF-8.</summary>
        NotUtf8 = 2,
        /// <summary>The checking day is outside 1970-01-01 to 2149-06-06.</summary>
        DayOutOfRange = 3,
        /// <summary>No trusted public key was given.</summary>
        NoPublicKey = 4,
        /// <summary>A trusted public key is not a usable Ed25519 public key.</summary>
        BadPublicKey = 5,
        /// <summary>The revocation list is not well formed.</summary>
        ListMalformed = 6,
        /// <summary>The revocation list is signed by a key that is not trusted.</summary>
        ListUnknownSigner = 7,
        /// <summary>The revocation list's signature does not verify (it was altered).</summary>
        ListBadSignature = 8,
        /// <summary>The revocation list is for another product.</summary>
        ListOtherProduct = 9,
        /// <summary>The revocation list is older than the highest sequence already accepted.</summary>
        ListOlder = 10,
        /// <summary>The library failed inside (a bug): nothing was decided. Please report it.</summary>
        Panic = 11,
    }
}
