/*
 * FOR TESTS UNDER WINE ONLY, NEVER SHIPPED: bcryptprimitives.dll with the one function that
 * Rust's standard library imports from it on Windows, ProcessPrng, which Wine 8 lacks (a
 * program built by Rust then exits 53 before main). Windows 10 and later have the real one.
 * Placed beside a test .exe, it answers from RtlGenRandom (advapi32's SystemFunction036).
 *
 * x86_64-w64-mingw32-gcc -shared -o bcryptprimitives.dll process_prng_stub.c
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
    while (length > 0) {
        ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk)) return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
