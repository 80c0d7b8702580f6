using System;

namespace Ast.ProductKeys
{
    /// <summary>What <c>verifier check</c> concludes about a key, with the key's fields when
    /// they could be read.</summary>
    public sealed class Verdict
    {
        internal Verdict(Native.PkVerdict v)
        {
            Status = (KeyStatus)v.Status;
            StatusName = Utf8.Read(Native.pk_status_name(v.Status));
            ExitCode = v.ExitCode;
            IsValid = v.Valid != 0;
            IsTrusted = v.Trusted != 0;
            Message = Utf8.Read(v.Message);
            Key = v.HasKey != 0 ? new KeyFields(v) : null;
            Found = v.Found != 0 ? new FoundSpan((long)v.FoundFrom.ToUInt64(), (long)v.FoundTo.ToUInt64()) : null;
            KeyText = Utf8.Read(v.KeyText);
            RevocationSequence = v.RevocationsApplied != 0 ? v.RevocationSequence : (uint?)null;
        }

        /// <summary>The status; only <see cref="KeyStatus.Valid"/> unlocks the product.</summary>
        public KeyStatus Status { get; }

        /// <summary>The status as named in the JSON (<c>"valid"</c>, <c>"org_mismatch"</c>, ...).</summary>
        public string StatusName { get; }

        /// <summary>The exit code <c>verifier check</c> gives this status: 0, or 3 to 8.</summary>
        public int ExitCode { get; }

        /// <summary>Whether the status is <see cref="KeyStatus.Valid"/>.</summary>
        public bool IsValid { get; }

        /// <summary>Whether the signature verified with a trusted key: only then are the
        /// <see cref="Key"/> fields true.</summary>
        public bool IsTrusted { get; }

        /// <summary>The verdict in one sentence with what to do, as <c>verifier check</c>
        /// and the support page say it: show it.</summary>
        public string Message { get; }

        /// <summary>The key's fields as written in it, or null when none could be read
        /// (malformed). Trust them only when <see cref="IsTrusted"/>.</summary>
        public KeyFields Key { get; }

        /// <summary>Where the key was found by its prefix in the text given, or null when
        /// the text held no prefix of this product and was read whole.</summary>
        public FoundSpan Found { get; }

        /// <summary>The key as read, in its canonical form (<c>AST8-...</c>, no quote
        /// markers or line breaks): what to store. Null when nothing could be decoded.</summary>
        public string KeyText { get; }

        /// <summary>The sequence of the revocation list applied, or null when none was
        /// given: store the highest one accepted.</summary>
        public uint? RevocationSequence { get; }
    }

    /// <summary>Where the key is in the text given: its first and last characters, counted
    /// from 1 in Unicode characters (code points, not UTF-16 units nor bytes).</summary>
    public sealed class FoundSpan
    {
        internal FoundSpan(long from, long to)
        {
            From = from;
            To = to;
        }

        /// <summary>The position of the key's first character, from 1.</summary>
        public long From { get; }

        /// <summary>The position of the key's last character.</summary>
        public long To { get; }
    }

    /// <summary>The fields of a key, as written in it.</summary>
    public sealed class KeyFields
    {
        private static readonly DateTime Epoch = new DateTime(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        private readonly byte[] keyId;

        internal KeyFields(Native.PkVerdict v)
        {
            Product = Utf8.FromBuffer(v.Product);
            MajorVersion = v.MajorVersion;
            Serial = v.Serial;
            keyId = (byte[])v.KeyId.Clone();
            Organization = Utf8.Read(v.Organization);
            Seats = v.SeatsUnlimited != 0 ? (int?)null : v.Seats;
            Features = v.Features;
            Issued = Epoch.AddDays(v.Issued);
            Expires = v.Perpetual != 0 ? (DateTime?)null : Epoch.AddDays(v.Expires);
            Supersedes = v.HasSupersedes != 0 ? v.Supersedes : (ulong?)null;
        }

        /// <summary>The product code, e.g. "AST".</summary>
        public string Product { get; }

        /// <summary>The major version the key is for, e.g. 8.</summary>
        public int MajorVersion { get; }

        /// <summary>The key's serial.</summary>
        public ulong Serial { get; }

        /// <summary>The serial as <c>verifier check</c> writes it: 16 lower-case hex digits.</summary>
        public string SerialHex
        {
            get { return Serial.ToString("x16"); }
        }

        /// <summary>The signing key's id (the first 4 bytes of SHA-256 of its public key).</summary>
        public byte[] KeyId
        {
            get { return (byte[])keyId.Clone(); }
        }

        /// <summary>The key id as 8 lower-case hex digits, e.g. "21fe31df".</summary>
        public string KeyIdHex
        {
            get { return BitConverter.ToString(keyId).Replace("-", string.Empty).ToLowerInvariant(); }
        }

        /// <summary>The organization the key was issued to.</summary>
        public string Organization { get; }

        /// <summary>The number of client connections allowed, or null for any number.</summary>
        public int? Seats { get; }

        /// <summary>The features: bit n for catalog bit n (docs/key-format.md), unknown bits included.</summary>
        public ulong Features { get; }

        /// <summary>Whether catalog bit <paramref name="bit"/> (0 to 63) is set.</summary>
        public bool HasFeature(int bit)
        {
            if (bit < 0 || bit > 63)
            {
                throw new ArgumentOutOfRangeException("bit", bit, "a feature bit is 0 to 63");
            }
            return (Features & (1UL << bit)) != 0;
        }

        /// <summary>The day the key was issued (a UTC date).</summary>
        public DateTime Issued { get; }

        /// <summary>The last valid day (a UTC date), or null for a key that never expires.</summary>
        public DateTime? Expires { get; }

        /// <summary>The serial of the key this one replaces, or null.</summary>
        public ulong? Supersedes { get; }
    }
}
