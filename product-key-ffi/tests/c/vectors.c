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

static void check_key(const Vector *v) {
    PkRequest request;
    PkVerdict verdict;
    PkError code;
    char buf[512];
    char *json = NULL;
    const char *name;

    memset(&request, 0, sizeof request);
    request.text = v->text;
    request.organization = v->has_org ? v->org : NULL;
    request.day = v->day;
    request.public_keys = v->keys;
    request.public_key_count = v->key_count;
    request.revocation_list = v->has_list ? v->list : NULL;
    request.highest_sequence_seen = (uint32_t)v->highest;

    code = pk_verify(&request, &verdict);
    if (code != PK_ERROR_OK) {
        fail(v, "pk_verify", "ok", pk_error_name((int32_t)code));
        pk_verdict_free(&verdict);
        return;
    }
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
    pk_verdict_free(&verdict);
    pk_verdict_free(&verdict); /* twice is harmless */

    code = pk_verify_json(&request, &json);
    if (code != PK_ERROR_OK || json == NULL) {
        fail(v, "pk_verify_json", "ok", pk_error_name((int32_t)code));
    } else {
        sprintf(buf, "\"status\":\"%s\"", v->expect);
        if (strstr(json, buf) == NULL) fail(v, "json", buf, json);
    }
    pk_free_string(json);
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
