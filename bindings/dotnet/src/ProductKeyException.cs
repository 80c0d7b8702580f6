using System;

namespace Ast.ProductKeys
{
    /// <summary>The library gave no verdict: the arguments were unusable (a bad trusted key,
    /// a day out of range, a revocation list that cannot be used, ...). A key that is not
    /// valid is not an exception: it is a <see cref="Verdict"/>.</summary>
    public sealed class ProductKeyException : Exception
    {
        internal ProductKeyException(int code, string message)
            : base(message)
        {
            Error = (ProductKeyError)code;
            ErrorName = Utf8.Read(Native.pk_error_name(code)) ?? ("error " + code);
        }

        /// <summary>The error as a value.</summary>
        public ProductKeyError Error { get; }

        /// <summary>The error's name in the C ABI and in the JSON (<c>"list_older"</c>, ...), for logs.</summary>
        public string ErrorName { get; }
    }
}
