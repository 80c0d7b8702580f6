/*
 * A panic inside the library, forced by a build with the `test-hooks` feature (a key text
 * holding PK-TEST-HOOK-PANIC), must leave every out parameter safe to free: the verdict an
 * empty one, the JSON pointer NULL. Run under valgrind by tests/panic.rs, which fails on any
 * invalid read or free and any leak.
 *
 * usage: panic VENDOR_KEY_HEX KEY_TEXT
 */
#include "product_key.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;

static void expect(int ok, const char *what) {
    if (!ok) {
        printf("FAIL %s\n", what);
        failures++;
    }
}

/* A verdict as a host's stack may hold it before the call: garbage pointers included. */
static void garbage(PkVerdict *verdict) { memset(verdict, 0xA5, sizeof *verdict); }

static int unhex(const char *hex, unsigned char out[32]) {
    size_t i;
    if (strlen(hex) != 64) return -1;
    for (i = 0; i < 32; i++) {
        unsigned int byte;
        if (sscanf(hex + 2 * i, "%2x", &byte) != 1) return -1;
        out[i] = (unsigned char)byte;
    }
    return 0;
}

int main(int argc, char **argv) {
    unsigned char key[32];
    char *text;
    PkRequest request;
    PkCheck check;
    PkVerifier *verifier = NULL;
    PkVerdict verdict;
    char *json;

    if (argc != 3 || unhex(argv[1], key) != 0) {
        fprintf(stderr, "usage: %s VENDOR_KEY_HEX KEY_TEXT\n", argv[0]);
        return 2;
    }
    text = malloc(strlen(argv[2]) + 64);
    if (text == NULL) return 2;
    sprintf(text, "PK-TEST-HOOK-PANIC\n%s\n", argv[2]);

    memset(&request, 0, sizeof request);
    request.text = text;
    request.day = 20819; /* 2027-01-01 */
    request.public_keys = key;
    request.public_key_count = 1;
    memset(&check, 0, sizeof check);
    check.text = text;
    check.day = request.day;

    garbage(&verdict);
    expect(pk_verify(&request, &verdict) == PK_ERROR_PANIC, "pk_verify gives PK_ERROR_PANIC");
    expect(verdict.exit_code == -1 && verdict.message == NULL && verdict.organization == NULL && verdict.key_text == NULL,
           "pk_verify left an empty verdict");
    pk_verdict_free(&verdict);

    json = (char *)&request; /* not NULL: the call must clear it */
    expect(pk_verify_json(&request, &json) == PK_ERROR_PANIC, "pk_verify_json gives PK_ERROR_PANIC");
    expect(json == NULL, "pk_verify_json left NULL");
    pk_free_string(json);

    json = (char *)&request;
    expect(pk_explain_json(&request, &json) == PK_ERROR_PANIC, "pk_explain_json gives PK_ERROR_PANIC");
    expect(json == NULL, "pk_explain_json left NULL");
    pk_free_string(json);

    expect(pk_verifier_new(key, 1, &verifier) == PK_ERROR_OK && verifier != NULL, "pk_verifier_new");
    garbage(&verdict);
    expect(pk_verifier_verify(verifier, &check, &verdict) == PK_ERROR_PANIC, "pk_verifier_verify gives PK_ERROR_PANIC");
    expect(verdict.exit_code == -1 && verdict.message == NULL, "pk_verifier_verify left an empty verdict");
    pk_verdict_free(&verdict);
    json = (char *)&request;
    expect(pk_verifier_verify_json(verifier, &check, &json) == PK_ERROR_PANIC, "pk_verifier_verify_json gives PK_ERROR_PANIC");
    expect(json == NULL, "pk_verifier_verify_json left NULL");
    pk_free_string(json);
    json = (char *)&request;
    expect(pk_verifier_explain_json(verifier, &check, &json) == PK_ERROR_PANIC, "pk_verifier_explain_json gives PK_ERROR_PANIC");
    expect(json == NULL, "pk_verifier_explain_json left NULL");
    pk_free_string(json);

    /* The same key without the mark is judged, through the same handle: a panic spoils nothing. */
    check.text = argv[2];
    expect(pk_verifier_verify(verifier, &check, &verdict) == PK_ERROR_OK && verdict.valid && verdict.key_text != NULL,
           "after the panics, the handle still judges the key valid");
    pk_verdict_free(&verdict);

    /* pk_verdict_free reads only the three strings: values no Rust struct may hold elsewhere
     * (a bool of 0xA5, a status of 0xA5A5A5A5) are no concern of it. */
    garbage(&verdict);
    verdict.organization = NULL;
    verdict.message = NULL;
    verdict.key_text = NULL;
    pk_verdict_free(&verdict);

    pk_verifier_free(verifier);
    free(text);
    printf("%d failures\n", failures);
    return failures == 0 ? 0 : 1;
}
