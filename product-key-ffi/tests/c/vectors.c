/*
 * Checks every committed vector through the C ABI, as the product would call it.
 *
 * Input (written by tests/abi.rs from tests/vectors/): one field per line, "name value",
 * texts in hex so that any byte survives; a vector ends with "end". Prints each mismatch
 * with the vector's name and exits 1 if there was any.
 */
#include "product_key.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FIELD 65536

typedef struct Vector {
    char kind[16];
    char name[256];
    char text[MAX_FIELD];
    char org[MAX_FIELD];
    int has_org;
    long long day;
    unsigned char keys[32 * 8];
    size_t key_count;
    char list[MAX_FIELD];
    int has_list;
    unsigned long highest;
    char expect[64];
    char fields[32][2][512]; /* name, expected value as text */
    int field_count;
} Vector;

static int failures = 0;

static void fail(const Vector *v, const char *what, const char *expected, const char *got) {
    printf("%s: %s: expected '%s', got '%s'\n", v->name, what, expected, got);
    failures++;
}

static int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

/* Decodes hex into out (NUL-ended when as_text); returns the byte count or -1. */
static long unhex(const char *hex, unsigned char *out, size_t cap, int as_text) {
    size_t n = strlen(hex);
    size_t i;
    if (n % 2 != 0 || n / 2 + (as_text ? 1 : 0) > cap) return -1;
    for (i = 0; i < n / 2; i++) {
        int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) return -1;
        out[i] = (unsigned char)(hi * 16 + lo);
    }
    if (as_text) out[n / 2] = 0;
    return (long)(n / 2);
}

static void check_field(const Vector *v, const char *name, const char *got) {
    int i;
    for (i = 0; i < v->field_count; i++) {
        if (strcmp(v->fields[i][0], name) == 0) {
            if (strcmp(v->fields[i][1], got) != 0) fail(v, name, v->fields[i][1], got);
            return;
        }
    }
}

static const char *or_null(const char *s) { return s ? s : "(null)"; }

static int same_text(const char *a, const char *b) {
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* The handle's verdict must be the one-shot call's, field for field. */
static void compare_verdicts(const Vector *v, const PkVerdict *handle, const PkVerdict *once) {
    if (handle->status != once->status) fail(v, "handle status", pk_status_name((int32_t)once->status), pk_status_name((int32_t)handle->status));
    if (handle->exit_code != once->exit_code || handle->valid != once->valid || handle->trusted != once->trusted ||
        handle->has_key != once->has_key || handle->serial != once->serial || handle->seats != once->seats ||
        handle->features != once->features || handle->issued != once->issued || handle->expires != once->expires ||
        handle->found != once->found || handle->found_from != once->found_from || handle->found_to != once->found_to ||
        handle->revocations_applied != once->revocations_applied ||
        handle->revocation_sequence != once->revocation_sequence)
        fail(v, "handle verdict", "the one-shot verdict", "another");
    if (!same_text(handle->message, once->message)) fail(v, "handle message", or_null(once->message), or_null(handle->message));
    if (!same_text(handle->organization, once->organization)) fail(v, "handle organization", or_null(once->organization), or_null(handle->organization));
    if (!same_text(handle->key_text, once->key_text)) fail(v, "handle key_text", or_null(once->key_text), or_null(handle->key_text));
}

/* key_text: the canonical key, present exactly when the key was decoded; verifying it again
 * gives the same status, and the JSON holds the same text. */
static void check_key_text(const Vector *v, const PkVerifier *verifier, const PkCheck *check, const PkVerdict *verdict,
                           const char *json) {
    char prefix[16];
    char quoted[1024];
    PkCheck again = *check;
    PkVerdict reread;
    if (!verdict->has_key) {
        if (verdict->key_text != NULL) fail(v, "key_text", "NULL without a key", verdict->key_text);
        if (strstr(json, "\"key_text\":null") == NULL) fail(v, "json key_text", "null", json);
        return;
    }
    if (verdict->key_text == NULL) {
        fail(v, "key_text", "the key", "NULL");
        return;
    }
    sprintf(prefix, "%s%u-", verdict->product, (unsigned)verdict->major_version);
    if (strncmp(verdict->key_text, prefix, strlen(prefix)) != 0 || strpbrk(verdict->key_text, "\r\n> \"'") != NULL)
        fail(v, "key_text", "the canonical key", verdict->key_text);
    if (strlen(verdict->key_text) < sizeof quoted - 16) {
        sprintf(quoted, "\"key_text\":\"%s\"", verdict->key_text);
        if (strstr(json, quoted) == NULL) fail(v, "json key_text", quoted, json);
    }
    again.text = verdict->key_text;
    if (pk_verifier_verify(verifier, &again, &reread) != PK_ERROR_OK || reread.status != verdict->status)
        fail(v, "key_text verified again", pk_status_name((int32_t)verdict->status), pk_status_name((int32_t)reread.status));
    else if (!same_text(reread.key_text, verdict->key_text))
        fail(v, "key_text of key_text", verdict->key_text, or_null(reread.key_text));
    pk_verdict_free(&reread);
}

static void check_key(const Vector *v) {
    PkRequest request;
    PkCheck check;
    PkVerifier *verifier = NULL;
    PkVerdict verdict;
    PkVerdict once;
    PkError code;
    char buf[512];
    char *json = NULL;
    char *json_once = NULL;
    const char *name;

    memset(&request, 0, sizeof request);
    request.text = v->text;
    request.organization = v->has_org ? v->org : NULL;
    request.day = v->day;
    request.public_keys = v->keys;
    request.public_key_count = v->key_count;
    request.revocation_list = v->has_list ? v->list : NULL;
    request.highest_sequence_seen = (uint32_t)v->highest;

    memset(&check, 0, sizeof check);
    check.text = request.text;
    check.organization = request.organization;
    check.day = request.day;
    check.revocation_list = request.revocation_list;
    check.highest_sequence_seen = request.highest_sequence_seen;

    code = pk_verifier_new(v->keys, v->key_count, &verifier);
    if (code != PK_ERROR_OK || verifier == NULL) {
        fail(v, "pk_verifier_new", "ok", pk_error_name((int32_t)code));
        return;
    }
    code = pk_verifier_verify(verifier, &check, &verdict);
    if (code != PK_ERROR_OK) {
        fail(v, "pk_verifier_verify", "ok", pk_error_name((int32_t)code));
        pk_verdict_free(&verdict);
        pk_verifier_free(verifier);
        return;
    }
    code = pk_verify(&request, &once);
    if (code != PK_ERROR_OK) fail(v, "pk_verify", "ok", pk_error_name((int32_t)code));
    else compare_verdicts(v, &verdict, &once);
    pk_verdict_free(&once);

    name = pk_status_name((int32_t)verdict.status);
    if (strcmp(name, v->expect) != 0) fail(v, "status", v->expect, name);
    if (verdict.exit_code != pk_status_exit_code((int32_t)verdict.status)) fail(v, "exit code", "the status's", "another");
    if (verdict.valid != (verdict.status == PK_STATUS_VALID)) fail(v, "valid", "status == valid", "differs");
    if (verdict.message == NULL || verdict.message[0] == 0) fail(v, "message", "a sentence", "nothing");

    if (verdict.found) {
        sprintf(buf, "%lu %lu", (unsigned long)verdict.found_from, (unsigned long)verdict.found_to);
    } else {
        strcpy(buf, "none");
    }
    check_field(v, "found", buf);

    if (verdict.status == PK_STATUS_VALID) {
        if (!verdict.has_key || !verdict.trusted) fail(v, "key", "decoded and trusted", "not");
        check_field(v, "product", verdict.product);
        sprintf(buf, "%u", (unsigned)verdict.major_version);
        check_field(v, "major_version", buf);
        sprintf(buf, "%016llx", (unsigned long long)verdict.serial);
        check_field(v, "serial", buf);
        sprintf(buf, "%02x%02x%02x%02x", verdict.key_id[0], verdict.key_id[1], verdict.key_id[2], verdict.key_id[3]);
        check_field(v, "key_id", buf);
        check_field(v, "organization", verdict.organization ? verdict.organization : "(null)");
        if (verdict.seats_unlimited) {
            strcpy(buf, "unlimited");
        } else {
            sprintf(buf, "%u", (unsigned)verdict.seats);
        }
        check_field(v, "seats", buf);
        sprintf(buf, "%llu", (unsigned long long)verdict.features);
        check_field(v, "features", buf);
        sprintf(buf, "%d", (int)verdict.issued);
        check_field(v, "issued", buf);
        if (verdict.perpetual) {
            strcpy(buf, "never");
        } else {
            sprintf(buf, "%d", (int)verdict.expires);
        }
        check_field(v, "expires", buf);
        if (verdict.has_supersedes) {
            sprintf(buf, "%016llx", (unsigned long long)verdict.supersedes);
        } else {
            strcpy(buf, "none");
        }
        check_field(v, "supersedes", buf);
    }

    code = pk_verifier_verify_json(verifier, &check, &json);
    if (code != PK_ERROR_OK || json == NULL) {
        fail(v, "pk_verifier_verify_json", "ok", pk_error_name((int32_t)code));
    } else {
        sprintf(buf, "\"status\":\"%s\"", v->expect);
        if (strstr(json, buf) == NULL) fail(v, "json", buf, json);
        check_key_text(v, verifier, &check, &verdict, json);
        code = pk_verify_json(&request, &json_once);
        if (code != PK_ERROR_OK || json_once == NULL || strcmp(json, json_once) != 0)
            fail(v, "pk_verify_json", json, or_null(json_once));
    }
    pk_free_string(json);
    pk_free_string(json_once);
    json = json_once = NULL;

    code = pk_verifier_explain_json(verifier, &check, &json);
    if (pk_explain_json(&request, &json_once) != code || code != PK_ERROR_OK || json == NULL || json_once == NULL ||
        strcmp(json, json_once) != 0)
        fail(v, "pk_verifier_explain_json", or_null(json_once), or_null(json));
    pk_free_string(json);
    pk_free_string(json_once);

    pk_verdict_free(&verdict);
    pk_verdict_free(&verdict); /* twice is harmless */
    pk_verifier_free(verifier);
}

static void check_list(const Vector *v) {
    uint32_t sequence = 0;
    char expected[80];
    char buf[32];
    PkError code = pk_open_revocation_list(v->list, v->keys, v->key_count, (uint32_t)v->highest, &sequence);
    if (strcmp(v->expect, "ok") == 0) {
        strcpy(expected, "ok");
    } else {
        sprintf(expected, "list_%s", v->expect);
    }
    if (strcmp(pk_error_name((int32_t)code), expected) != 0) fail(v, "list", expected, pk_error_name((int32_t)code));
    if (code == PK_ERROR_OK) {
        sprintf(buf, "%lu", (unsigned long)sequence);
        check_field(v, "sequence", buf);
    }
}

/* The handle's refusals: *out is NULL after any failure, out parameters are written first. */
static void check_handle_refusals(const unsigned char key[32]) {
    static const Vector none = {"", "handle refusals", "", "", 0, 0, {0}, 0, "", 0, 0, "", {{"", ""}}, 0};
    unsigned char zero_keys[32] = {0};
    PkVerifier *verifier = (PkVerifier *)&none; /* not NULL: the call must clear it */
    PkCheck check;
    PkVerdict verdict;
    char *json = (char *)&none;

    if (pk_verifier_new(key, 0, &verifier) != PK_ERROR_NO_PUBLIC_KEY || verifier != NULL) fail(&none, "no key", "no_public_key and NULL", "other");
    verifier = (PkVerifier *)&none;
    if (pk_verifier_new(zero_keys, 1, &verifier) != PK_ERROR_BAD_PUBLIC_KEY || verifier != NULL) fail(&none, "weak key", "bad_public_key and NULL", "other");
    verifier = (PkVerifier *)&none;
    if (pk_verifier_new(NULL, 1, &verifier) != PK_ERROR_NULL_POINTER || verifier != NULL) fail(&none, "null keys", "null_pointer and NULL", "other");
    if (pk_verifier_new(key, 1, NULL) != PK_ERROR_NULL_POINTER) fail(&none, "null out", "null_pointer", "other");
    pk_verifier_free(NULL);

    memset(&check, 0, sizeof check);
    check.text = "AST8-0";
    check.day = 20000;
    if (pk_verifier_verify(NULL, &check, &verdict) != PK_ERROR_NULL_POINTER) fail(&none, "null verifier", "null_pointer", "other");
    if (verdict.exit_code != -1 || verdict.message == NULL || strstr(verdict.message, "verifier") == NULL) fail(&none, "null verifier message", "names the verifier", or_null(verdict.message));
    pk_verdict_free(&verdict);
    if (pk_verifier_new(key, 1, &verifier) != PK_ERROR_OK || verifier == NULL) {
        fail(&none, "pk_verifier_new", "ok", "other");
        return;
    }
    if (pk_verifier_verify(verifier, NULL, &verdict) != PK_ERROR_NULL_POINTER) fail(&none, "null check", "null_pointer", "other");
    pk_verdict_free(&verdict);
    if (pk_verifier_verify(verifier, &check, NULL) != PK_ERROR_NULL_POINTER) fail(&none, "null verdict", "null_pointer", "other");
    check.day = 65536;
    if (pk_verifier_verify_json(verifier, &check, &json) != PK_ERROR_DAY_OUT_OF_RANGE) fail(&none, "handle day", "day_out_of_range", "other");
    if (json == NULL || strstr(json, "\"error\":\"day_out_of_range\"") == NULL) fail(&none, "handle error json", "its name", or_null(json));
    pk_free_string(json);
    check.day = 20000;
    check.text = NULL;
    if (pk_verifier_explain_json(verifier, &check, &json) != PK_ERROR_NULL_POINTER) fail(&none, "handle null text", "null_pointer", "other");
    pk_free_string(json);
    pk_verifier_free(verifier);
}

/* What any host must be able to rely on: refusals with codes, never a crash. */
static void check_refusals(void) {
    static const Vector none = {"", "refusals", "", "", 0, 0, {0}, 0, "", 0, 0, "", {{"", ""}}, 0};
    unsigned char key[32];
    unsigned char zero_keys[32] = {0};
    PkRequest request;
    PkVerdict verdict;
    char *json = NULL;
    const char *bad_utf8 = "AST8-\xff";
    PkError code;

    if (pk_abi_version() != PK_ABI_VERSION) fail(&none, "abi version", "the header's", "another");
    if (pk_status_name(8) != NULL || pk_status_name(-1) != NULL) fail(&none, "status name", "NULL", "a name");
    if (pk_status_exit_code(0) != 3 || pk_status_exit_code(7) != 0) fail(&none, "exit codes", "3 and 0", "others");
    if (pk_error_name(12) != NULL) fail(&none, "error name", "NULL", "a name");

    code = pk_public_key_from_text("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", key);
    if (code != PK_ERROR_OK) fail(&none, "public key from hex", "ok", pk_error_name((int32_t)code));

    memset(&request, 0, sizeof request);
    request.text = "AST8-0";
    request.day = 20000;
    request.public_keys = key;
    request.public_key_count = 1;

    if (pk_verify(&request, NULL) != PK_ERROR_NULL_POINTER) fail(&none, "null out", "null_pointer", "other");
    if (pk_verify(NULL, &verdict) != PK_ERROR_NULL_POINTER) fail(&none, "null request", "null_pointer", "other");
    pk_verdict_free(&verdict);
    request.day = 65536;
    if (pk_verify(&request, &verdict) != PK_ERROR_DAY_OUT_OF_RANGE) fail(&none, "day", "day_out_of_range", "other");
    if (verdict.message == NULL || strstr(verdict.message, "65536") == NULL) fail(&none, "day message", "names 65536", "not");
    pk_verdict_free(&verdict);
    request.day = -1;
    if (pk_verify_json(&request, &json) != PK_ERROR_DAY_OUT_OF_RANGE) fail(&none, "day -1", "day_out_of_range", "other");
    if (json == NULL || strstr(json, "\"error\":\"day_out_of_range\"") == NULL) fail(&none, "error json", "its name", json ? json : "NULL");
    pk_free_string(json);
    request.day = 20000;
    request.text = bad_utf8;
    if (pk_verify(&request, &verdict) != PK_ERROR_NOT_UTF8) fail(&none, "utf-8", "not_utf8", "other");
    pk_verdict_free(&verdict);
    request.text = NULL;
    if (pk_verify(&request, &verdict) != PK_ERROR_NULL_POINTER) fail(&none, "null text", "null_pointer", "other");
    pk_verdict_free(&verdict);
    /* Only a test-hooks build panics on this mark; this library must judge it. */
    request.text = "PK-TEST-HOOK-PANIC AST8-0";
    if (pk_verify(&request, &verdict) != PK_ERROR_OK) fail(&none, "hook mark", "a verdict", "another code");
    pk_verdict_free(&verdict);
    request.text = "AST8-0";
    request.public_key_count = 0;
    if (pk_verify(&request, &verdict) != PK_ERROR_NO_PUBLIC_KEY) fail(&none, "no key", "no_public_key", "other");
    pk_verdict_free(&verdict);
    request.public_keys = zero_keys;
    request.public_key_count = 1;
    if (pk_verify(&request, &verdict) != PK_ERROR_BAD_PUBLIC_KEY) fail(&none, "weak key", "bad_public_key", "other");
    pk_verdict_free(&verdict);
    if (pk_public_key_from_text("-----BEGIN PRIVATE KEY-----\n", key) != PK_ERROR_BAD_PUBLIC_KEY) fail(&none, "private key", "bad_public_key", "other");
    pk_free_string(NULL);
    pk_verdict_free(NULL);
    check_handle_refusals(key);
}

int main(int argc, char **argv) {
    static Vector v;
    static char line[4 * MAX_FIELD];
    FILE *in;
    int count = 0;
    if (argc != 2) {
        fprintf(stderr, "usage: %s VECTORS.txt\n", argv[0]);
        return 2;
    }
    in = fopen(argv[1], "r");
    if (in == NULL) {
        perror(argv[1]);
        return 2;
    }
    check_refusals();
    memset(&v, 0, sizeof v);
    while (fgets(line, sizeof line, in) != NULL) {
        char *value = strchr(line, ' ');
        line[strcspn(line, "\n")] = 0;
        if (strcmp(line, "end") == 0) {
            if (strcmp(v.kind, "key") == 0) check_key(&v);
            else check_list(&v);
            count++;
            memset(&v, 0, sizeof v);
            continue;
        }
        if (value == NULL) continue;
        *value++ = 0;
        if (strcmp(line, "key") == 0 || strcmp(line, "list-vector") == 0) {
            strcpy(v.kind, line[0] == 'k' ? "key" : "list");
            strncpy(v.name, value, sizeof v.name - 1);
        } else if (strcmp(line, "text") == 0) {
            if (unhex(value, (unsigned char *)v.text, sizeof v.text, 1) < 0) fail(&v, "input", "hex", value);
        } else if (strcmp(line, "org") == 0) {
            v.has_org = unhex(value, (unsigned char *)v.org, sizeof v.org, 1) >= 0;
        } else if (strcmp(line, "list") == 0) {
            v.has_list = unhex(value, (unsigned char *)v.list, sizeof v.list, 1) >= 0;
        } else if (strcmp(line, "keys") == 0) {
            long n = unhex(value, v.keys, sizeof v.keys, 0);
            v.key_count = n < 0 ? 0 : (size_t)n / 32;
        } else if (strcmp(line, "day") == 0) {
            v.day = atoll(value);
        } else if (strcmp(line, "highest") == 0) {
            v.highest = strtoul(value, NULL, 10);
        } else if (strcmp(line, "expect") == 0) {
            strncpy(v.expect, value, sizeof v.expect - 1);
        } else if (v.field_count < 32) {
            strncpy(v.fields[v.field_count][0], line, 511);
            if (strcmp(line, "organization") == 0) {
                unhex(value, (unsigned char *)v.fields[v.field_count][1], 512, 1);
            } else {
                strncpy(v.fields[v.field_count][1], value, 511);
            }
            v.field_count++;
        }
    }
    fclose(in);
    printf("%d vectors checked, %d mismatches\n", count, failures);
    return failures == 0 && count > 0 ? 0 : 1;
}
